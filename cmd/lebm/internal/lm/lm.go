package lm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// TrainOptions are the flags of `lebm lm train`.
type TrainOptions struct {
	Data, Preset, Out, Backend string
	JSON, Quiet                bool
	Config                     text.LMConfig // flag values; only flags the user set override the preset's
	Changed                    map[string]bool

	Stdout, Stderr io.Writer
}

// EvalOptions are the flags of `lebm lm eval`.
type EvalOptions struct {
	Checkpoint, Split, Data, Backend string
	JSON                             bool

	Stdout, Stderr io.Writer
}

// NewCmd returns the `lm` command group; the run functions are called with the parsed options.
func NewCmd(trainRun func(*TrainOptions) error, evalRun func(*EvalOptions) error) *cobra.Command {
	root := &cobra.Command{Use: "lm", Short: "Plain LSTM language model (the decoder without z): train and evaluate"}
	root.AddCommand(newTrainCmd(&TrainOptions{}, trainRun), newEvalCmd(&EvalOptions{}, evalRun))
	return root
}

func newTrainCmd(opts *TrainOptions, run func(*TrainOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train an LSTM language model on a corpus (default: the embedded corpus)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = clix.ChangedFlags(cmd)
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "corpus directory with train.txt, valid.txt, test.txt (default: the embedded corpus)")
	f.StringVar(&opts.Preset, "preset", "", "sizes from this text preset (default: embedded, or ptb with --data)")
	f.StringVar(&opts.Out, "out", "", "run directory (default: runs/lm-<preset>-<date>-<time>)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	c := &opts.Config
	f.IntVar(&c.EmbedDim, "embed", 0, "embedding size (default: the preset's)")
	f.IntVar(&c.HiddenDim, "hidden", 0, "LSTM hidden size (default: the preset's)")
	f.Float64Var(&c.LR, "lr", 0, "Adam learning rate (default: the preset's generator rate)")
	f.IntVar(&c.Batch, "batch", 0, "batch size (default: the preset's)")
	f.IntVar(&c.MaxLen, "max-len", 0, "longest training sentence in tokens with <bos>/<eos>: longer ones are left out, not cut (default: the preset's; 0 = whole sentences)")
	f.IntVar(&c.VocabSize, "vocab-size", 0, "maximum vocabulary size (default: the preset's)")
	f.IntVar(&c.MinCount, "min-count", 0, "minimum training count of a word (default: the preset's)")
	f.IntVar(&c.Iterations, "iterations", 0, "training iterations (default: the preset's)")
	f.Uint64Var(&c.Seed, "seed", 0, "random seed (default: the preset's)")
	return cmd
}

// Resolve returns the preset-derived configuration with the user's flags applied.
func (o *TrainOptions) Resolve() (text.LMConfig, error) {
	name := o.Preset
	if name == "" {
		name = "embedded"
		if o.Data != "" {
			name = "ptb"
		}
	}
	p, err := text.Preset(name)
	if err != nil {
		return text.LMConfig{}, err
	}
	cfg := text.DefaultLMConfig(p)
	set := map[string]func(){
		"embed": func() { cfg.EmbedDim = o.Config.EmbedDim }, "hidden": func() { cfg.HiddenDim = o.Config.HiddenDim },
		"lr": func() { cfg.LR = o.Config.LR }, "batch": func() { cfg.Batch = o.Config.Batch },
		"max-len": func() { cfg.MaxLen = o.Config.MaxLen }, "vocab-size": func() { cfg.VocabSize = o.Config.VocabSize },
		"min-count": func() { cfg.MinCount = o.Config.MinCount }, "iterations": func() { cfg.Iterations = o.Config.Iterations },
		"seed": func() { cfg.Seed = o.Config.Seed },
	}
	for name, apply := range set {
		if o.Changed[name] {
			apply()
		}
	}
	return cfg, cfg.Validate()
}

// Result is what `lebm lm train` and `lebm lm eval` report.
type Result struct {
	Checkpoint string                  `json:"checkpoint"`
	Config     text.LMConfig           `json:"config"`
	Scores     map[string]text.LMScore `json:"scores"` // by split
}

func printResult(w io.Writer, r Result, asJSON bool) error {
	if asJSON {
		return clix.PrintJSON(w, r)
	}
	fmt.Fprintf(w, "checkpoint: %s\n", r.Checkpoint)
	for _, split := range corpora.Splits {
		if s, ok := r.Scores[split]; ok {
			fmt.Fprintf(w, "%s: PPL %.3f, NLL %.3f nats/sentence (%d sentences, %d predicted tokens; exact likelihood)\n",
				split, s.PPL, s.NLL, s.Sentences, s.Tokens)
		}
	}
	return nil
}

// RunTrain trains as the options say.
func RunTrain(opts *TrainOptions) error {
	cfg, err := opts.Resolve()
	if err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join("runs", "lm-"+time.Now().Format("20060102-150405"))
	}
	res, err := Train(cfg, opts.Data, out, opts.Backend, opts.Stderr, opts.Quiet, Limits{})
	if err != nil {
		return err
	}
	return printResult(opts.Stdout, res, opts.JSON)
}

// Limits bound a language model's training in time and have it score itself on validation sentences as
// it goes (text.LMSchedule), into LogFile of its run directory.
type Limits struct {
	MaxTime, Every time.Duration
	ValidSentences int // the first N validation sentences (whole) are scored every Every
}

// LogFile is a language model's learning curve (text.LMPoint records) in its run directory.
const LogFile = "log.jsonl"

// Train trains a language model of configuration cfg on the corpus data ("" = the embedded corpus) into
// the run directory out (which must not hold a run) on the named backend, within limits, then scores the
// valid and test splits (whole sentences). Progress goes to stderr unless quiet.
func Train(cfg text.LMConfig, data, out, backendName string, stderr io.Writer, quiet bool, limits Limits) (Result, error) {
	backend, err := engine.NewBackend(backendName)
	if err != nil {
		return Result{}, err
	}
	corpus, err := text.LoadCorpus(data)
	if err != nil {
		return Result{}, err
	}
	if cfg.Data = data; data != "" { // recorded absolute, so that eval works from any directory
		if cfg.Data, err = filepath.Abs(data); err != nil {
			return Result{}, err
		}
	}
	vocab := corpora.BuildVocab(corpus.Train, cfg.VocabSize, cfg.MinCount)
	lm, err := text.NewLM(backend, cfg, vocab)
	if err != nil {
		return Result{}, err
	}
	train, err := text.TrainingSet(corpus, vocab, cfg.MaxLen)
	if err != nil {
		return Result{}, err
	}
	if note := text.LeftOut(train); note != "" && !quiet {
		fmt.Fprintf(stderr, "data: %d training sentences%s\n", len(train.Examples), note)
	}
	if n := len(train.Examples); n < cfg.Batch {
		return Result{}, fmt.Errorf("--batch %d is larger than the training set (%d sentences): choose --batch %d or less", cfg.Batch, n, n)
	}
	unlock, err := ckpt.Lock(out, "lebm lm train") // the data and the model are fine: now the run directory
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(out, ckpt.LatestFile)); err == nil {
		return Result{}, fmt.Errorf("run directory %s already holds a run: choose another --out", out)
	}
	sched := text.LMSchedule{MaxTime: limits.MaxTime, Every: limits.Every}
	if limits.Every > 0 {
		if sched.Valid, err = text.Encode(corpus, vocab, corpora.Whole, "valid"); err != nil {
			return Result{}, err
		}
		sched.Valid = sched.Valid.First(limits.ValidSentences)
		logFile, err := os.Create(filepath.Join(out, LogFile))
		if err != nil {
			return Result{}, err
		}
		defer logFile.Close()
		sched.Log = logFile
	}
	if err := text.TrainLMWithProgress(lm, train, "lm", run.UI{Stderr: stderr, Quiet: quiet, Bars: clix.Bars(stderr, quiet)}, sched); err != nil {
		return Result{}, err
	}
	dir, err := text.SaveLM(out, lm)
	if err != nil {
		return Result{}, err
	}
	return score(lm, dir, corpus)
}

// Score loads the language model at checkpoint and scores the valid and test splits of the corpus it
// was trained on (whole sentences), as Train does after training.
func Score(backendName, checkpoint string) (Result, error) {
	backend, err := engine.NewBackend(backendName)
	if err != nil {
		return Result{}, err
	}
	lm, err := text.LoadLM(backend, checkpoint)
	if err != nil {
		return Result{}, err
	}
	corpus, err := text.LoadCorpus(lm.Config.Data)
	if err != nil {
		return Result{}, err
	}
	dir, err := ckpt.Resolve(checkpoint)
	if err != nil {
		return Result{}, err
	}
	return score(lm, dir, corpus)
}

// score is the exact likelihood of the valid and test splits of corpus under lm (saved at dir).
func score(lm *text.LM, dir string, corpus *corpora.Corpus) (Result, error) {
	res := Result{Checkpoint: dir, Config: lm.Config, Scores: map[string]text.LMScore{}}
	for _, split := range []string{"valid", "test"} {
		ds, err := text.Encode(corpus, lm.Vocab, corpora.Whole, split)
		if err != nil {
			return Result{}, err
		}
		if res.Scores[split], err = lm.Evaluate(ds); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

func newEvalCmd(opts *EvalOptions, run func(*EvalOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT",
		Short: "Perplexity of a language model on a split (exact: there is no latent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Split, "split", "test", "split: train, valid or test")
	f.StringVar(&opts.Data, "data", "", "corpus directory (default: the one the model was trained on)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// RunEval evaluates as the options say.
func RunEval(opts *EvalOptions) error {
	backend, err := engine.NewBackend(opts.Backend)
	if err != nil {
		return err
	}
	lm, err := text.LoadLM(backend, opts.Checkpoint)
	if err != nil {
		return err
	}
	_, ds, err := text.LoadSplit(lm.Config.Data, opts.Data, lm.Vocab, corpora.Whole, opts.Split)
	if err != nil {
		return err
	}
	s, err := lm.Evaluate(ds)
	if err != nil {
		return err
	}
	dir, _ := ckpt.Resolve(opts.Checkpoint)
	return printResult(opts.Stdout, Result{Checkpoint: dir, Scores: map[string]text.LMScore{opts.Split: s}}, opts.JSON)
}
