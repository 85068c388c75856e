// Package train is `lebm train`: train a latent EBM-prior text model, checkpointing as it goes, and
// evaluate it on the test split at the end.
package train

import (
	"encoding/json"
	"fmt"
	"github.com/gomlx/compute"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm train`.
type Options struct {
	Data    string // corpus directory ("" = embedded generated corpus)
	Preset  string // "" = "embedded" without --data, "ptb" with it
	Out     string // run directory ("" = runs/<preset>-<time>)
	Resume  string // run directory to continue
	Backend string
	NoEval  bool
	NewData bool // --resume on other training data than the run's, on purpose
	JSON    bool
	Quiet   bool

	Family string     // "text" (default) or "image"
	Image  ImageFlags // the image family's own flags

	Config  text.Config // flag values; only flags the user set override the preset
	Changed []string    // names of the hyperparameter flags the user set

	EvalChains, EvalSamples, LogZSamples, FloorSentences int
	EvalEvery, EvalEverySentences                        int           // periodic collapse diagnosis (0 = off)
	EvalSentences                                        int           // final evaluation on the first N test sentences (0 = all)
	MaxTime                                              time.Duration // stop training after this long (0 = no limit)

	Stdout, Stderr io.Writer
}

// hyperparameter flags: name -> copy of that field from the flag values into a config. The flags whose
// field is in the shared learn.Config (core) apply to every family; the others are the text family's.
var overrides = []struct {
	name, usage string
	bind        func(fs *cobra.Command, c *text.Config)
	apply       func(dst, src *text.Config)
	core        bool
}{
	{"embed", "word embedding size", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.EmbedDim, "embed", 0, "") }, func(d, s *text.Config) { d.EmbedDim = s.EmbedDim }, false},
	{"hidden", "LSTM hidden size", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.HiddenDim, "hidden", 0, "") }, func(d, s *text.Config) { d.HiddenDim = s.HiddenDim }, false},
	{"z", "latent dimension", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.ZDim, "z", 0, "") }, func(d, s *text.Config) { d.ZDim = s.ZDim }, true},
	{"prior", "prior: " + prior.EBM + " (latent EBM) or " + prior.Gaussian + " (fixed N(0,I) ablation)", func(k *cobra.Command, c *text.Config) { k.Flags().StringVar(&c.Prior, "prior", "", "") }, func(d, s *text.Config) { d.Prior = s.Prior }, true},
	{"ebm-width", "hidden width nef of f_alpha", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.EBMWidth, "ebm-width", 0, "") }, func(d, s *text.Config) { d.EBMWidth = s.EBMWidth }, true},
	{"k0", "prior chain Langevin steps", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.K0, "k0", 0, "") }, func(d, s *text.Config) { d.K0 = s.K0 }, true},
	{"s0", "prior chain step size", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.S0, "s0", 0, "") }, func(d, s *text.Config) { d.S0 = s.S0 }, true},
	{"k1", "posterior chain Langevin steps", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.K1, "k1", 0, "") }, func(d, s *text.Config) { d.K1 = s.K1 }, true},
	{"s1", "posterior chain step size", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.S1, "s1", 0, "") }, func(d, s *text.Config) { d.S1 = s.S1 }, true},
	{"posterior-init", "posterior chain start: noise (N(0,I), the paper), persistent (each example's last z), encoder (inference network q_phi; with --k1 0 it replaces the chain)", func(k *cobra.Command, c *text.Config) {
		k.Flags().StringVar(&c.PosteriorInit, "posterior-init", "", "")
	}, func(d, s *text.Config) { d.PosteriorInit = s.PosteriorInit }, true},
	{"prior-init", "prior chain start: noise (N(0,I), the paper) or synthesis (synthesis network q_psi; with --k0 0 it replaces the chain)", func(k *cobra.Command, c *text.Config) { k.Flags().StringVar(&c.PriorInit, "prior-init", "", "") }, func(d, s *text.Config) { d.PriorInit = s.PriorInit }, true},
	{"s0-end", "prior chain step size at its last step, geometric schedule from s0 (0 = constant)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.S0End, "s0-end", 0, "") }, func(d, s *text.Config) { d.S0End = s.S0End }, true},
	{"s1-end", "posterior chain step size at its last step, geometric schedule from s1 (0 = constant)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.S1End, "s1-end", 0, "") }, func(d, s *text.Config) { d.S1End = s.S1End }, true},
	{"k1-warmup", "posterior chain steps during the first --k1-warmup-iters iterations", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.K1Warmup, "k1-warmup", 0, "") }, func(d, s *text.Config) { d.K1Warmup = s.K1Warmup }, true},
	{"k1-warmup-iters", "iterations that use --k1-warmup posterior steps (0 = none)", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.K1WarmupIters, "k1-warmup-iters", 0, "") }, func(d, s *text.Config) { d.K1WarmupIters = s.K1WarmupIters }, true},
	{"prior-weight-warmup", "iterations over which the prior term's weight in the posterior energy (and the encoder's KL) grows from 0 to 1 (0 = always 1)", func(k *cobra.Command, c *text.Config) {
		k.Flags().IntVar(&c.PriorWeightWarmup, "prior-weight-warmup", 0, "")
	}, func(d, s *text.Config) { d.PriorWeightWarmup = s.PriorWeightWarmup }, true},
	{"encoder-hidden", "inference network LSTM size (0 = --hidden)", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.EncoderHidden, "encoder-hidden", 0, "") }, func(d, s *text.Config) { d.EncoderHidden = s.EncoderHidden }, false},
	{"free-bits", "inference network: nats per latent dimension of KL that cost nothing (free bits against posterior collapse; 0 = none)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.FreeBits, "free-bits", 0, "") }, func(d, s *text.Config) { d.FreeBits = s.FreeBits }, true},
	{"encoder-rate", "inference network's rate term: model (KL to the model's prior p_alpha, the seed's objective) or base (KL to N(0,I): the encoder as a VAE-trained proposal for the posterior chain)", func(k *cobra.Command, c *text.Config) { k.Flags().StringVar(&c.EncoderRate, "encoder-rate", "", "") }, func(d, s *text.Config) { d.EncoderRate = s.EncoderRate }, true},
	{"word-dropout", "probability of replacing each decoder input word by <unk> during training (0 = none)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.WordDropout, "word-dropout", 0, "") }, func(d, s *text.Config) { d.WordDropout = s.WordDropout }, false},
	{"bow-weight", "weight of the bag-of-words loss (Zhao et al. 2017): a softmax from z predicts the sentence's words, so that z carries its content; training only, needs --posterior-init encoder (0 = none)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.BoWWeight, "bow-weight", 0, "") }, func(d, s *text.Config) { d.BoWWeight = s.BoWWeight }, false},
	{"lr-gen", "generator (decoder) Adam learning rate", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.LRGen, "lr-gen", 0, "") }, func(d, s *text.Config) { d.LRGen = s.LRGen }, true},
	{"lr-prior", "prior (EBM) Adam learning rate", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.LRPrior, "lr-prior", 0, "") }, func(d, s *text.Config) { d.LRPrior = s.LRPrior }, true},
	{"clip", "generator gradient-norm clip (0 = none)", func(k *cobra.Command, c *text.Config) { k.Flags().Float64Var(&c.GenClip, "clip", 0, "") }, func(d, s *text.Config) { d.GenClip = s.GenClip }, true},
	{"batch", "batch size", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.Batch, "batch", 0, "") }, func(d, s *text.Config) { d.Batch = s.Batch }, true},
	{"max-len", "maximum tokens per sentence including <bos> and <eos> (longer ones are truncated)", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.MaxLen, "max-len", 0, "") }, func(d, s *text.Config) { d.MaxLen = s.MaxLen }, false},
	{"vocab-size", "maximum vocabulary size including the 4 special tokens (0 = no limit)", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.VocabSize, "vocab-size", 0, "") }, func(d, s *text.Config) { d.VocabSize = s.VocabSize }, false},
	{"min-count", "minimum training count of a vocabulary word", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.MinCount, "min-count", 0, "") }, func(d, s *text.Config) { d.MinCount = s.MinCount }, false},
	{"iterations", "training iterations (with --resume: the new total)", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.Iterations, "iterations", 0, "") }, func(d, s *text.Config) { d.Iterations = s.Iterations }, true},
	{"seed", "random seed (initialisation, batch order, chains)", func(k *cobra.Command, c *text.Config) { k.Flags().Uint64Var(&c.Seed, "seed", 0, "") }, func(d, s *text.Config) { d.Seed = s.Seed }, true},
	{"save-every", "iterations between checkpoints", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.SaveEvery, "save-every", 0, "") }, func(d, s *text.Config) { d.SaveEvery = s.SaveEvery }, true},
	{"log-every", "iterations between records of the JSON-lines log", func(k *cobra.Command, c *text.Config) { k.Flags().IntVar(&c.LogEvery, "log-every", 0, "") }, func(d, s *text.Config) { d.LogEvery = s.LogEvery }, true},
}

// resumable are the hyperparameter flags that may change when a run is resumed.
var resumable = map[string]bool{"iterations": true, "save-every": true, "log-every": true, "eval-images": true}

// NewCmd returns the cobra command; run is called with the parsed options (tests pass their own).
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a latent EBM-prior model: LSTM text model, or image generator with --family image",
		Long: `Train a text model whose latent prior is an energy-based model, by maximum likelihood with short-run
Langevin chains for the prior and the posterior (Pang et al., NeurIPS 2020).

Without --data it trains on an embedded generated corpus (no download). With --data DIR it reads
DIR/train.txt, DIR/valid.txt and DIR/test.txt (one sentence per line, whitespace tokens).
Hyperparameter flags override the preset's values (presets: ` + fmt.Sprint(text.PresetNames()) + `).
Checkpoints go to the run directory (--out) every --save-every iterations and at the end; a run is
continued with --resume RUN_DIR.

With --family image it trains a transposed-convolution image generator (the paper's Table 2) on the
embedded generated shapes, or with --data PATH --preset svhn|cifar10|celeba|mnist on SVHN's .mat files,
CIFAR-10's binary batches, a folder of PNG/JPEG images (centre-cropped and resized) or MNIST idx files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Changed = nil
			for _, o := range overrides {
				if cmd.Flags().Changed(o.name) {
					opts.Changed = append(opts.Changed, o.name)
				}
			}
			for _, name := range imageOnly {
				if cmd.Flags().Changed(name) {
					opts.Changed = append(opts.Changed, name)
				}
			}
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "corpus directory holding train.txt, valid.txt and test.txt (default: the embedded generated corpus)")
	f.StringVar(&opts.Preset, "preset", "", "hyperparameter preset: "+fmt.Sprint(text.PresetNames())+" (default: embedded, or ptb with --data)")
	f.StringVar(&opts.Out, "out", "", "run directory for checkpoints and logs (default: runs/<preset>-<date>-<time>)")
	f.StringVar(&opts.Resume, "resume", "", "continue the run in this run directory (same optimizer state and step count)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.NoEval, "no-eval", false, "skip the test-set evaluation at the end")
	f.BoolVar(&opts.NewData, "new-data", false, "with --resume and --data: train on other data than the run's (without it, --data may only point at the run's own data, moved)")
	f.BoolVar(&opts.JSON, "json", false, "print the final summary as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	f.IntVar(&opts.EvalChains, "eval-chains", 8, "final evaluation: posterior chains per sentence")
	f.IntVar(&opts.FloorSentences, "eval-floor-sentences", 0, "final evaluation: copies of one sentence for the MI/AU floor (0 = as many as test sentences)")
	f.IntVar(&opts.EvalSamples, "eval-samples", text.DefaultEvalSamples, "final evaluation: importance samples per sentence")
	f.IntVar(&opts.LogZSamples, "logz-samples", text.DefaultLogZSamples, "final evaluation: samples of N(0,I) for log Z")
	f.IntVar(&opts.EvalSentences, "eval-sentences", 0, "final evaluation: the first N test sentences only (0 = all)")
	f.DurationVar(&opts.MaxTime, "max-time", 0, "stop training after this long (e.g. 30m), checkpoint and evaluate as at the last iteration (0 = no limit)")
	f.IntVar(&opts.EvalEvery, "eval-every", 0, "every N iterations, diagnose the latent on validation sentences (NLL, reconstruction gap, MI and AU against their floors, chain displacement) into log.jsonl and the progress line, warning when collapsed (0 = never)")
	f.IntVar(&opts.EvalEverySentences, "eval-every-sentences", 100, "validation sentences used by --eval-every (8 chains, 16 importance samples, 10k samples for log Z)")
	addImageFlags(cmd, opts)
	for _, o := range overrides {
		o.bind(cmd, &opts.Config)
		f.Lookup(o.name).Usage = o.usage + " (default: the preset's)"
	}
	return cmd
}

// ResolveConfig returns the preset's configuration with the flags the user set applied.
func (o *Options) ResolveConfig() (text.Config, error) {
	name := o.Preset
	if name == "" {
		name = "embedded"
		if o.Data != "" {
			name = "ptb"
		}
	}
	return resolvePreset(name, text.Preset, o.applyChanged)
}

// resolvePreset is a family's preset with the user's flags applied, validated.
func resolvePreset[C any, P interface {
	*C
	Validate() error
}](name string, preset func(string) (C, error), apply func(P)) (C, error) {
	cfg, err := preset(name)
	if err != nil {
		return cfg, err
	}
	apply(&cfg)
	return cfg, P(&cfg).Validate()
}

func (o *Options) applyChanged(cfg *text.Config) {
	for _, name := range o.Changed {
		o.applyFlag(name, cfg)
	}
}

// applyFlag copies the value of hyperparameter flag name into cfg.
func (o *Options) applyFlag(name string, cfg *text.Config) {
	for _, ov := range overrides {
		if ov.name == name {
			ov.apply(cfg, &o.Config)
		}
	}
}

// RunSummary is the part of `lebm train --json` every family prints: where the run is and how it went.
type RunSummary struct {
	RunDir       string       `json:"run_dir"`
	Checkpoint   string       `json:"checkpoint"`
	Iterations   int          `json:"iterations"`
	SecondsPerIt float64      `json:"seconds_per_iteration"`
	Timing       learn.Timing `json:"timing"`
	Interrupted  bool         `json:"interrupted"`
	OutOfTime    bool         `json:"out_of_time"` // stopped by --max-time
}

// Summary is what `lebm train --json` prints for a text model.
type Summary struct {
	RunSummary
	Config   text.Config       `json:"config"`
	Learning string            `json:"learning"` // the paper's method or what differs from it (text.Config.Method)
	Test     *text.EvalResult  `json:"test,omitempty"`
	Unigram  *text.Unigram     `json:"unigram_baseline,omitempty"`
	Topics   *text.TopicResult `json:"topics,omitempty"` // on a corpus with topic labels (the embedded one)
	Model    string            `json:"model"`
}

// Run trains as the options say: a text model, or an image model with --family image (or when
// resuming an image run).
func Run(opts *Options) error {
	if opts.Family == "" {
		opts.Family = FamilyText
	}
	if opts.MaxTime < 0 {
		return fmt.Errorf("--max-time must be a positive duration (0: no limit), got %v", opts.MaxTime)
	}
	if opts.Resume != "" {
		for _, name := range opts.Changed {
			if !resumable[name] {
				return fmt.Errorf("--%s cannot change when resuming (the checkpoint fixes it); only --iterations, --save-every, --log-every and --eval-images can", name)
			}
		}
	}
	backend, err := engine.NewBackend(opts.Backend)
	if err != nil {
		return err
	}
	defer backend.Finalize() // frees device memory (a sweep runs many trainings in one process)
	var resumed *run.Run
	if opts.Resume != "" {
		unlock, err := opts.lockResumed()
		if err != nil {
			return err
		}
		defer unlock()
		if resumed, err = run.Open(backend, opts.Resume); err != nil {
			return err
		}
		if opts.Family != FamilyText && opts.Family != resumed.Family {
			return fmt.Errorf("--family %s, but %s holds a %s run", opts.Family, opts.Resume, resumed.Family)
		}
		opts.Family = resumed.Family
	}
	if err := opts.checkFamilyFlags(); err != nil {
		return err
	}
	if opts.Family == FamilyImage {
		return runImage(opts, backend, resumed)
	}
	return runText(opts, backend, resumed)
}

// lockResumed takes the lock of the directory a resumed run writes (--out, or the run's own) before its
// checkpoint is read, and refuses an --out that holds another run (resuming would overwrite its
// checkpoints, prune its steps and mix its log).
func (o *Options) lockResumed() (func(), error) {
	ck, err := ckpt.Resolve(o.Resume)
	if err != nil {
		return nil, err
	}
	own := filepath.Dir(ck)
	if o.Out == "" || sameDir(o.Out, own) {
		return ckpt.Lock(own, "lebm train --resume")
	}
	unlock, err := ckpt.Lock(o.Out, "lebm train --resume") // checked under the lock, as a fresh run's
	if err != nil {
		return nil, err
	}
	if holdsRun(o.Out) {
		unlock()
		return nil, fmt.Errorf("--out %s holds another run: --resume %s would overwrite it; to continue %s, --resume %s; to continue %s in "+
			"its own directory, drop --out; to branch it, give an --out that holds no run", o.Out, o.Resume, o.Out, o.Out, o.Resume)
	}
	return unlock, nil
}

// lockFresh takes the lock of a fresh run's directory and refuses one that holds a run already (checked
// under the lock, so that two trainings started together cannot both pass).
func (o *Options) lockFresh(dir string) (func(), error) {
	unlock, err := ckpt.Lock(dir, "lebm train")
	if err != nil {
		return nil, err
	}
	if holdsRun(dir) {
		unlock()
		return nil, fmt.Errorf("run directory %s already holds a run: continue it with --resume %s, or choose another --out", dir, dir)
	}
	return unlock, nil
}

// absPath is path made absolute (a run records where its data is, so that eval and resume work from any
// directory); "" stays "" (the embedded data).
func absPath(path string) string {
	if path == "" {
		return ""
	}
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// resumeData is where a resumed run reads its data: --data when given, else the recorded path, both
// absolute (runs before 2026-12-02 recorded --data as typed).
func (o *Options) resumeData(recorded string) string {
	if o.Data != "" {
		return absPath(o.Data)
	}
	return absPath(recorded)
}

// checkData lets a resumed run read its data from path (given with --data, else the recorded one) when
// that is the run's training data, moved or not (same digest; runs without a recorded digest: the same
// path), or when --new-data says to train on other data. It returns the digest to record.
func (o *Options) checkData(recorded, path, recordedDigest, digest string) (string, error) {
	where := path
	if where == "" {
		where = "the embedded data"
	}
	switch {
	case recordedDigest == digest, o.NewData:
		return digest, nil
	case recordedDigest == "" && absPath(recorded) == path:
		return digest, nil // a run from before digests, on its own data: record the digest now
	case recordedDigest == "":
		return "", fmt.Errorf("--data %s is not where the run recorded its data (%q), and the run predates the record that would tell a "+
			"moved copy from other data: give --new-data if it is the same corpus (or if other data is what you want)", where, recorded)
	}
	return "", fmt.Errorf("--data %s holds other training data than the run was trained on (recorded: %q): resuming on it would break the run's "+
		"batch order and mix two corpora; give --new-data to train on it anyway", where, recorded)
}

// sameDir reports whether a and b name one directory (both existing), or the same path.
func sameDir(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// holdsRun reports whether dir holds a run: a "latest" file or a complete step-N checkpoint.
func holdsRun(dir string) bool { return ckpt.Resumable(dir) != "" }

// runText trains a text model (resumed: the opened checkpoint of a text run to continue, or nil).
func runText(opts *Options, backend compute.Backend, resumed *run.Run) error {
	var (
		m         *text.Model
		info      text.RunInfo
		state     *text.TrainState
		corpus    *corpora.Corpus
		resumeDir string
	)
	runDir := opts.Out
	var err error
	if resumed != nil {
		m, info, resumeDir = resumed.Text, resumed.TextInfo, resumed.Dir
		state = &resumed.TextState
		opts.applyChanged(&m.Config)
		if runDir == "" {
			runDir = filepath.Dir(resumeDir)
		}
		data := opts.resumeData(info.Data)
		if corpus, err = text.LoadCorpus(data); err != nil {
			return corpora.MovedHint(err, info.Data, opts.Data)
		}
		if info.TrainDigest, err = opts.checkData(info.Data, data, info.TrainDigest, corpora.Digest(corpus.Train)); err != nil {
			return err
		}
		info.Data = data
	} else {
		cfg, err := opts.ResolveConfig()
		if err != nil {
			return err
		}
		if slices.Contains(opts.Changed, "encoder-rate") && !cfg.HasEncoder() {
			return fmt.Errorf("--encoder-rate sets the inference network's objective, but this run has none: add --posterior-init encoder")
		}
		info.Data = absPath(opts.Data)
		if runDir == "" {
			runDir = filepath.Join("runs", fmt.Sprintf("%s-%s", cfg.Preset, time.Now().Format("20060102-150405")))
		}
		unlock, err := opts.lockFresh(runDir)
		if err != nil {
			return err
		}
		defer unlock()
		if corpus, err = text.LoadCorpus(info.Data); err != nil {
			return err
		}
		info.TrainDigest = corpora.Digest(corpus.Train)
		vocab := corpora.BuildVocab(corpus.Train, cfg.VocabSize, cfg.MinCount)
		if m, err = text.NewModel(backend, cfg, vocab); err != nil {
			return err
		}
	}
	trainSet, err := text.Encode(corpus, m.Vocab, m.Config.MaxLen, "train")
	if err != nil {
		return err
	}
	tr, err := text.NewTrainer(m, trainSet, state)
	if err != nil {
		return err
	}
	logFile, err := startRun(tr.Trainer, runDir, resumeDir, opts.Stderr)
	if err != nil {
		return err
	}
	defer logFile.Close()
	tr.Log = logFile
	corpusName := info.Data
	if corpusName == "" {
		corpusName = "embedded generated corpus"
	}
	fmt.Fprintf(opts.Stderr, "%s\nlearning: %s\ndata: %s (%d training sentences, %d buckets); run directory: %s; backend: %s\n",
		m, m.Config.Method(), corpusName, len(trainSet.Examples), len(trainSet.Buckets), runDir, engine.Describe(opts.Backend, backend))

	cfg := m.Config
	var validSet *corpora.Dataset // encoded on the first --eval-every
	diagLine := ""
	res, err := loop{
		step: func() (int, string, error) {
			st, err := tr.Step()
			return st.Step, fmt.Sprintf("gen %.3f/tok prior %+.3f%s", st.GenLossPerToken, st.PriorLoss, diagLine), err
		},
		after: func(step int, bar *clix.Bar) error {
			if opts.EvalEvery <= 0 || step%opts.EvalEvery != 0 {
				return nil
			}
			if validSet == nil {
				if validSet, err = text.Encode(corpus, m.Vocab, corpora.Whole, "valid"); err != nil {
					return err
				}
			}
			diag, err := diagnose(m, validSet, opts, step, logFile)
			if err != nil {
				return err
			}
			diagLine = " | " + diag.Short()
			if w := diag.Warning(); w != "" {
				bar.Clear()
				fmt.Fprintln(opts.Stderr, w)
			}
			return nil
		},
		save: func() (string, error) {
			st, err := tr.SnapshotState()
			if err != nil {
				return "", err
			}
			files, err := tr.Files()
			if err != nil {
				return "", err
			}
			return text.Save(runDir, m, info, st, files)
		},
		start: tr.State.Step, iterations: cfg.Iterations, saveEvery: cfg.SaveEvery,
	}.run(opts)
	if err != nil {
		return err
	}
	res.report(opts, runDir, tr.Timing)
	sum := Summary{RunSummary: res.summary(runDir, tr.Timing), Model: m.String(), Config: m.Config, Learning: m.Config.Method()}
	if !opts.NoEval && !res.interrupted() {
		test, err := text.Encode(corpus, m.Vocab, corpora.Whole, "test")
		if err != nil {
			return err
		}
		ec := text.DefaultEvalConfig(cfg)
		ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.FloorSentences = opts.EvalChains, opts.EvalSamples, opts.LogZSamples, opts.FloorSentences
		ec.MaxSentences = opts.EvalSentences
		ebar := clix.NewBar(opts.Stderr, 1, "eval test", "chains", opts.Quiet)
		res, err := m.Evaluate(test, "test", ec, ebar.Progress)
		ebar.Finish()
		if err != nil {
			return err
		}
		uni := text.UnigramBaseline(trainSet, test, m.Vocab.Size())
		sum.Test, sum.Unigram = res, &uni
		if sum.Topics, err = m.CorpusTopics(corpus, "test", ec, text.DefaultTopicConfig()); err != nil {
			return err
		}
	}
	if opts.JSON {
		if err := clix.PrintJSON(opts.Stdout, sum); err != nil {
			return err
		}
		return res.stopped()
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\nlearning: %s\n", res.Checkpoint, m.Config.Method())
	switch {
	case sum.Test != nil:
		fmt.Fprint(opts.Stdout, sum.Test.Format())
		fmt.Fprintf(opts.Stdout, "  unigram baseline (train counts, add-one): NLL %.3f nats/sentence, PPL %.3f\n", sum.Unigram.NLL, sum.Unigram.PPL)
		if sum.Topics != nil {
			fmt.Fprint(opts.Stdout, sum.Topics.Format())
		}
		fmt.Fprintln(opts.Stdout, sum.Test.Verdict)
	case res.interrupted():
		fmt.Fprintln(opts.Stdout, "latent: not judged (interrupted before the evaluation; `lebm eval` judges it)")
	default:
		fmt.Fprintln(opts.Stdout, "latent: not judged (--no-eval; `lebm eval` judges it)")
	}
	return res.stopped()
}

// diagnose runs a collapse diagnosis on the first validation sentences (settings stated in the record)
// and appends it to the log.
func diagnose(m *text.Model, valid *corpora.Dataset, opts *Options, step int, log io.Writer) (*text.Diagnosis, error) {
	dc := text.DefaultDiagnoseConfig()
	dc.Sentences = opts.EvalEverySentences
	d, err := m.Diagnose(valid, dc)
	if err != nil {
		return nil, err
	}
	d.Step = step
	rec, _ := json.Marshal(d)
	_, err = log.Write(append(rec, '\n'))
	return d, err
}
