package reproduce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/evalcmd"
	"github.com/lebm/lebm/cmd/lebm/internal/lm"
	"github.com/lebm/lebm/cmd/lebm/internal/sweep"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm reproduce`.
type Options struct {
	Corpus       string        // ptb, snli or yahoo: the preset (Table 3 sizes, Table 1 chains) and the published rows
	Data         string        // corpus directory: train.txt, valid.txt, test.txt
	Out          string        // reproduction directory: one directory per stage, table.md, table.json
	Iterations   int           // each latent model's training iterations (0 = the preset's)
	MaxTime      time.Duration // and at most this long each, per process (a resumed stage gets it again; 0 = no limit)
	LMIterations int           // the real-data LM's iterations (0 = as many as the latent models')
	TrainFlags   string        // more `lebm train` flags for both latent models
	EvalFlags    string        // more `lebm eval` flags for both evaluations (estimator settings, --gen-samples, ...)
	Backend      string
	JSON, Quiet  bool

	Stdout, Stderr io.Writer
}

// Corpora are the corpora the protocol knows (each a text preset with published rows).
var Corpora = []string{"ptb", "snli", "yahoo"}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reproduce CORPUS",
		Short: "Run the paper's text protocol (Table 2) on ptb, snli or yahoo and tabulate it beside the published numbers",
		Long: `Reproduce Table 2 of Pang et al. 2020 on CORPUS (ptb, snli or yahoo; the corpus itself is --data). Stages,
each in a directory of --out and each skipped when it has finished (rerun the same command to continue
an interrupted reproduction):
  ebm/        the latent EBM model, the CORPUS preset (Table 3 sizes, Table 1 chains, the recommended learning:
              --train-flags "--learning paper" for the paper's), trained --iterations
  gaussian/   the same with a fixed gaussian prior (the ablation), at the same budget and seed
  lm/         a plain LSTM language model of the real training data (its test PPL is the "real data"
              row; it scores the samples for forward PPL)
  each latent model diagnosed on validation sentences 10 times while it trains, its checkpoint of the
  lowest validation NLL (RUN/best) kept; then that checkpoint evaluated on the test split, once, with
  lebm eval --generation (whole sentences)
  table.md, table.json   the measured rows beside the published ones, with how each number was estimated

Example (a CPU budget; the paper trains about 40,000 iterations):
  lebm reproduce ptb --data corpora/ptb --out runs/repro --iterations 2000 --max-time 1h \
    --eval-flags "--max-sentences 500 --gen-samples 500"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Corpus = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "corpus directory with train.txt, valid.txt and test.txt (required)")
	f.StringVar(&opts.Out, "out", "", "reproduction directory (required)")
	f.IntVar(&opts.Iterations, "iterations", 0, "training iterations of each latent model (default: the preset's)")
	f.DurationVar(&opts.MaxTime, "max-time", 0, "also stop each latent model's training after this long in one process (a resumed stage gets it again; 0 = no limit)")
	f.IntVar(&opts.LMIterations, "lm-iterations", 0, "training iterations of the real-data language model (default: as many as the latent models')")
	f.StringVar(&opts.TrainFlags, "train-flags", "", "more `lebm train` flags for both latent models, e.g. \"--hidden 256\"")
	f.StringVar(&opts.EvalFlags, "eval-flags", "", "more `lebm eval` flags for both evaluations, e.g. \"--max-sentences 500 --gen-samples 500\"")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the table as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bars")
	return cmd
}

// Stage names (directories of --out).
const (
	StageEBM      = "ebm"
	StageGaussian = "gaussian"
	StageLM       = "lm"
)

// EvalFile is a latent model's finished evaluation inside its stage directory; LMFile the language
// model's scores inside lm/.
const (
	EvalFile = "reproduce_eval.json"
	LMFile   = "reproduce_lm.json"
)

// Evaluation is a latent model's finished evaluation with the flags it ran with.
type Evaluation struct {
	Flags      string           `json:"flags"`
	Checkpoint string           `json:"checkpoint"` // RUN/best (selected by validation NLL) or RUN (its last)
	Seconds    float64          `json:"seconds"`
	Result     *text.EvalReport `json:"result"`
}

// LMStage is the real-data language model's outcome.
type LMStage struct {
	Config  text.LMConfig `json:"config"`
	Seconds float64       `json:"seconds"` // training and scoring (only the scoring when it was found trained)
	Result  lm.Result     `json:"result"`
}

// Run reproduces as the options say.
func Run(opts *Options) error {
	if !slices.Contains(Corpora, opts.Corpus) {
		return fmt.Errorf("reproduce: corpus %q: expected one of %v", opts.Corpus, Corpora)
	}
	if opts.Data == "" {
		return fmt.Errorf("reproduce %s needs its corpus: --data DIR with train.txt, valid.txt and test.txt", opts.Corpus)
	}
	if opts.Out == "" {
		return fmt.Errorf("reproduce: --out is required")
	}
	if opts.Iterations < 0 || opts.LMIterations < 0 || opts.MaxTime < 0 {
		return fmt.Errorf("reproduce: --iterations, --lm-iterations and --max-time must not be negative")
	}
	if err := refuseFlags("--train-flags", opts.TrainFlags, trainOwned); err != nil {
		return err
	}
	if err := refuseFlags("--eval-flags", opts.EvalFlags, evalOwned); err != nil {
		return err
	}
	if err := checkEvalFlags(opts.EvalFlags); err != nil { // before hours of training, not after
		return fmt.Errorf("--eval-flags: %w", err)
	}
	data, err := filepath.Abs(opts.Data)
	if err != nil {
		return err
	}
	models := []sweep.Setting{
		{Name: StageEBM, Flags: opts.trainFlags(data, "ebm")},
		{Name: StageGaussian, Flags: opts.trainFlags(data, "gaussian")},
	}
	trainOpts, unlock, err := sweep.CheckThenLock(opts.Out, "lebm reproduce", models, opts.parseTrain)
	if err != nil {
		return err
	}
	defer unlock()
	var trained []*sweep.Result
	for i, s := range models {
		opts.say("stage %s: train, unless it has finished (%s)", s.Name, s.Flags)
		r, err := sweep.RunSetting(s, trainOpts[i].options, opts.Stderr)
		if err != nil {
			return fmt.Errorf("stage %s: %w (finished stages keep their results; rerun to continue)", s.Name, err)
		}
		trained = append(trained, r)
	}
	lmStage, err := opts.languageModel(trainOpts[0].config, data)
	if err != nil {
		return fmt.Errorf("stage %s: %w", StageLM, err)
	}
	var evals []*Evaluation
	for _, s := range models {
		e, err := opts.evaluate(s.Name, lmStage.Result.Checkpoint)
		if err != nil {
			return fmt.Errorf("stage %s: evaluation: %w", s.Name, err)
		}
		evals = append(evals, e)
	}
	t := NewTable(opts, trained, evals, lmStage)
	js, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return err
	}
	md := t.Markdown()
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "table.md"), []byte(md)); err != nil {
		return err
	}
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "table.json"), js); err != nil {
		return err
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, t)
	}
	fmt.Fprint(opts.Stdout, md)
	fmt.Fprintf(opts.Stdout, "\nwritten: %s, %s\n", filepath.Join(opts.Out, "table.md"), filepath.Join(opts.Out, "table.json"))
	return nil
}

// The flags each stage sets itself: --train-flags and --eval-flags may not name them (the table would
// then describe another protocol than the one that ran).
var (
	trainOwned = []string{"data", "preset", "prior", "iterations", "max-time", "out", "resume", "family", "no-eval", "json", "backend"}
	evalOwned  = []string{"split", "generation", "lm", "json", "backend", "data"}
)

// checkEvalFlags parses flags as `lebm eval --generation` does and checks their values (evalcmd's Check).
func checkEvalFlags(flags string) error {
	cmd := evalcmd.NewCmd(&evalcmd.Options{}, func(eo *evalcmd.Options) error { return eo.Check() })
	cmd.SetArgs(append([]string{"checkpoint", "--generation"}, strings.Fields(flags)...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// refuseFlags rejects, in the flags given to option, any flag of owned (as --name or --name=value).
func refuseFlags(option, flags string, owned []string) error {
	for _, f := range strings.Fields(flags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if strings.HasPrefix(f, "-") && slices.Contains(owned, name) {
			return fmt.Errorf("%s: --%s is set by the reproduction itself (flags it owns: --%s)", option, name, strings.Join(owned, ", --"))
		}
	}
	return nil
}

// say prints a stage line unless quiet.
func (o *Options) say(format string, a ...any) {
	if !o.Quiet {
		fmt.Fprintf(o.Stderr, "reproduce: "+format+"\n", a...)
	}
}

// trainFlags are the model and budget flags of a latent model's training (what its saved result is
// checked against): the corpus's preset, the prior, the budget and the user's extra flags.
func (o *Options) trainFlags(data, prior string) string {
	n := o.Iterations
	if n == 0 {
		p, _ := text.Preset(o.Corpus) // Run checked the name
		n = p.Iterations
	}
	f := []string{"--data", data, "--preset", o.Corpus, "--prior", prior, "--no-eval", "--iterations", fmt.Sprint(n),
		"--eval-every", fmt.Sprint(max(n/SelectionPoints, 1)), "--eval-every-sentences", fmt.Sprint(SelectionSentences)}
	if o.MaxTime > 0 {
		f = append(f, "--max-time", o.MaxTime.String())
	}
	return strings.Join(append(f, strings.Fields(o.TrainFlags)...), " ")
}

// Selection on validation: each latent model is diagnosed SelectionPoints times during its training on
// the first SelectionSentences validation sentences, and the checkpoint of the lowest validation NLL
// (RUN/best) is the one evaluated on the test split, once (--train-flags may set --eval-every and
// --eval-every-sentences otherwise).
const (
	SelectionPoints    = 10
	SelectionSentences = 500
)

// trainStage is a latent model's parsed training options and resolved configuration.
type trainStage struct {
	options *train.Options
	config  text.Config
}

// parseTrain parses a stage's training flags with `lebm train`'s own (presentation flags added).
func (o *Options) parseTrain(s sweep.Setting) (*trainStage, error) {
	args := append(strings.Fields(s.Flags), "--out", filepath.Join(o.Out, s.Name), "--json", "--backend", o.Backend)
	if o.Quiet {
		args = append(args, "--quiet")
	}
	to, err := sweep.TrainOptions(s, args)
	if err != nil {
		return nil, err
	}
	cfg, err := to.Configure()
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", s.Name, err)
	}
	return &trainStage{to, *cfg.(*text.Config)}, nil
}

// languageModel trains the real-data LM (sizes and vocabulary of the latent models' decoder), or scores
// the one a previous run trained.
func (o *Options) languageModel(cfg text.Config, data string) (*LMStage, error) {
	dir := filepath.Join(o.Out, StageLM)
	path := filepath.Join(dir, LMFile)
	lc := text.DefaultLMConfig(cfg)
	if o.LMIterations > 0 {
		lc.Iterations = o.LMIterations
	}
	lc.Data = data
	var saved LMStage
	if found, err := clix.LoadResult(path, &saved); err != nil {
		return nil, err
	} else if found {
		if saved.Config == lc {
			return &saved, nil
		}
		return nil, fmt.Errorf("%s holds a language model of other settings (%+v, not %+v); remove %s or choose another --out", path, saved.Config, lc, dir)
	}
	start := time.Now()
	var res lm.Result
	var err error
	if _, statErr := os.Stat(filepath.Join(dir, ckpt.LatestFile)); statErr == nil {
		o.say("stage %s: trained before; scoring it", StageLM)
		if res, err = lm.Score(o.Backend, dir); err == nil && res.Config != lc {
			err = fmt.Errorf("%s holds a language model of other settings (%+v, not %+v); remove it or choose another --out", dir, res.Config, lc)
		}
	} else {
		o.say("stage %s: train an LSTM language model on the real training data (%d iterations)", StageLM, lc.Iterations)
		res, err = lm.Train(lc, data, dir, o.Backend, o.Stderr, o.Quiet)
	}
	if err != nil {
		return nil, err
	}
	st := &LMStage{Config: res.Config, Seconds: time.Since(start).Seconds(), Result: res}
	return st, clix.SaveResult(path, st)
}

// evaluate runs `lebm eval --generation` on the test split on a latent model's best checkpoint by
// validation NLL (its last when none was kept; forward PPL scored by the real-data LM at lmDir), or
// returns its saved evaluation when it ran with the same flags.
func (o *Options) evaluate(name, lmDir string) (*Evaluation, error) {
	run := filepath.Join(o.Out, name)
	path := filepath.Join(run, EvalFile)
	dir := run
	if _, ok, err := ckpt.ReadBest(run); err != nil {
		return nil, err
	} else if ok {
		dir = filepath.Join(run, ckpt.BestName)
	}
	flags := strings.Join(append([]string{"--split", "test", "--generation", "--lm", lmDir}, strings.Fields(o.EvalFlags)...), " ")
	var saved Evaluation
	if found, err := clix.LoadResult(path, &saved); err != nil {
		return nil, err
	} else if found {
		if saved.Flags == flags {
			return &saved, nil
		}
		return nil, fmt.Errorf("%s holds an evaluation with other flags (%q, not %q); remove it or choose another --out", path, saved.Flags, flags)
	}
	o.say("stage %s: evaluate %s on the test split, once (%s)", name, dir, flags)
	args := append([]string{dir, "--json", "--backend", o.Backend}, strings.Fields(flags)...)
	if o.Quiet {
		args = append(args, "--quiet")
	}
	var out bytes.Buffer
	cmd := evalcmd.NewCmd(&evalcmd.Options{}, func(eo *evalcmd.Options) error {
		eo.Stdout, eo.Stderr = &out, o.Stderr
		return evalcmd.Run(eo)
	})
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	start := time.Now()
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	e := &Evaluation{Flags: flags, Checkpoint: dir, Seconds: time.Since(start).Seconds(), Result: &text.EvalReport{}}
	if err := json.Unmarshal(out.Bytes(), e.Result); err != nil {
		return nil, fmt.Errorf("reading the evaluation: %w", err)
	}
	if e.Result.EvalResult == nil || e.Result.Generation == nil {
		return nil, fmt.Errorf("the evaluation of %s printed no text metrics (is it an image run?)", dir)
	}
	return e, clix.SaveResult(path, e)
}
