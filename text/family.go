package text

import (
	"fmt"
	"time"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/spf13/pflag"
)

// Registration is the text family at the product seam (run.Family): presets of the paper's Table 3, its
// own training flags (Knobs and the final evaluation's FinalEval), its checkpoints opened as a *Run.
type Registration struct{}

var _ run.Family = Registration{}

func (Registration) Name() string      { return Family }
func (Registration) Summary() string   { return "LSTM decoder of sentences (the paper's Table 3)" }
func (Registration) Presets() []string { return PresetNames() }

// Open rebuilds the model of a verified checkpoint directory.
func (Registration) Open(backend compute.Backend, dir string) (run.Model, error) {
	m, info, state, dir, err := LoadVerified(backend, dir)
	if err != nil {
		return nil, err
	}
	return &Run{Model: m, Info: info, State: state, Dir: dir}, nil
}

// Learn, RunName and Validate make a *Config a run.Config.
func (c *Config) Learn() *learn.Config { return &c.Config }
func (c *Config) RunName() string      { return c.Preset }

// Knobs are the text family's own hyperparameter flags of `lebm train`.
var Knobs = []run.Knob[Config]{
	{Name: "embed", Usage: "word embedding size", Field: func(c *Config) any { return &c.EmbedDim }},
	{Name: "hidden", Usage: "LSTM hidden size", Field: func(c *Config) any { return &c.HiddenDim }},
	{Name: "encoder-hidden", Usage: "inference network LSTM size (0 = --hidden)", Field: func(c *Config) any { return &c.EncoderHidden }},
	{Name: "word-dropout", Usage: "probability of replacing each decoder input word by <unk> during training (0 = none)",
		Field: func(c *Config) any { return &c.WordDropout }},
	{Name: "bow-weight", Usage: "weight of the bag-of-words loss (Zhao et al. 2017): a softmax from z predicts the sentence's " +
		"words, so that z carries its content; training only, needs --posterior-init encoder (0 = none)",
		Field: func(c *Config) any { return &c.BoWWeight }},
	{Name: "max-len", Usage: "longest training sentence in tokens including <bos> and <eos>: longer ones are left out of training, " +
		"never cut, and their number is printed (0 = train on every sentence whole; evaluation always scores whole sentences)",
		Field: func(c *Config) any { return &c.MaxLen }},
	{Name: "vocab-size", Usage: "maximum vocabulary size including the 4 special tokens (0 = no limit)",
		Field: func(c *Config) any { return &c.VocabSize }},
	{Name: "min-count", Usage: "minimum training count of a vocabulary word", Field: func(c *Config) any { return &c.MinCount }},
}

// FinalEval are the settings of the evaluations `lebm train` runs: on the test split at the end, and the
// periodic collapse diagnosis on validation sentences (--eval-every).
type FinalEval struct {
	Chains, ImportanceSamples, LogZSamples int
	Sentences                              int // the first N test sentences only (0 = all)
	Every, EverySentences                  int // diagnosis every N iterations (0 = never) on this many sentences
	// EveryTime also diagnoses when this much wall-clock time has passed since this process's last
	// diagnosis (or its start); 0: never.
	EveryTime time.Duration
	Split     string // the final evaluation's split: test (default) or valid
}

// split is the final evaluation's split.
func (e FinalEval) split() string {
	if e.Split == "" {
		return "test"
	}
	return e.Split
}

// trainFlags are the text family's flags of `lebm train`, bound.
type trainFlags struct {
	knobs    *run.Knobs[Config]
	eval     FinalEval
	learning string
}

// evalFlags are the run options among them (they may change when a run is resumed).
var evalFlags = []string{"eval-chains", "eval-split", "eval-samples", "logz-samples", "eval-sentences", "eval-every", "eval-every-time", "eval-every-sentences"}

// diagnoses reports whether the run diagnoses the latent while it trains (--eval-every or
// --eval-every-time).
func (e FinalEval) diagnoses() bool { return e.Every > 0 || e.EveryTime > 0 }

// TrainFlags adds the text family's flags to fs.
func (Registration) TrainFlags(fs *pflag.FlagSet) run.TrainFlags {
	t := &trainFlags{knobs: run.BindKnobs(fs, Knobs)}
	fs.StringVar(&t.learning, "learning", "", "how the model learns: recommended (the inference network in place of the posterior chain, free bits, "+
		"the prior weight warmed up: every preset's default but embedded-paper) or paper (both chains short-run Langevin from N(0, I), "+
		"the paper's); flags given beside it change its settings")
	e := &t.eval
	fs.IntVar(&e.Chains, "eval-chains", DefaultEvalChains, "final evaluation: posterior chains per sentence (the default is lebm eval's --chains, so that both give one number)")
	run.Refused(fs, "eval-floor-sentences", run.FloorWhy)
	fs.IntVar(&e.ImportanceSamples, "eval-samples", DefaultEvalSamples, "final evaluation: importance samples per sentence")
	fs.IntVar(&e.LogZSamples, "logz-samples", DefaultLogZSamples, "final evaluation: samples of N(0,I) for log Z")
	fs.IntVar(&e.Sentences, "eval-sentences", 0, "final evaluation: the first N sentences of its split only (0 = all)")
	fs.StringVar(&e.Split, "eval-split", "test", "final evaluation's split: test (report a model, once) or valid (compare settings)")
	fs.IntVar(&e.Every, "eval-every", 0, "every N iterations, diagnose the latent on validation sentences (NLL, reconstruction gap, "+
		"MI and AU against their floors, chain displacement) into log.jsonl and the progress line, warning when collapsed, and keep the "+
		"checkpoint of the best validation NLL (RUN/best), which the final evaluation then evaluates (0 = never)")
	fs.DurationVar(&e.EveryTime, "eval-every-time", 0, "also diagnose as --eval-every does when this much time has passed since the "+
		"process's last diagnosis or its start, e.g. 5m (for a run bounded by --max-time; 0 = never)")
	fs.IntVar(&e.EverySentences, "eval-every-sentences", 100, "validation sentences used by --eval-every and --eval-every-time (16 chains, 16 importance samples, 10k samples for log Z)")
	return t
}

func (t *trainFlags) Names() []string {
	return append(append(t.knobs.Names(), evalFlags...), "learning")
}

func (t *trainFlags) Resumable(name string) bool {
	for _, f := range evalFlags {
		if f == name {
			return true
		}
	}
	return t.knobs.Resumable(name)
}

// Configure is the preset ("": embedded, or with data the "corpus" preset sized for it) with the
// learning (--learning) and the flags the user set.
func (t *trainFlags) Configure(preset, data string, core func(*learn.Config), changed func(string) bool) (run.Config, error) {
	if preset == "" {
		preset = "embedded"
		if data != "" {
			preset = "corpus"
		}
	}
	cfg, err := Preset(preset)
	if err != nil {
		return nil, err
	}
	if preset == "corpus" {
		if err := sizeForCorpus(&cfg, data); err != nil {
			return nil, err
		}
	}
	if err := cfg.SetLearning(t.learning); err != nil {
		return nil, err
	}
	if data == "" && corpusPresets[preset] != "" {
		return nil, fmt.Errorf("--preset %s is sized for %s: give --data DIR, a directory with train.txt, valid.txt and test.txt "+
			"(the embedded demo corpus trains with the default preset, embedded)", preset, corpusPresets[preset])
	}
	core(&cfg.Config)
	t.knobs.Apply(&cfg, changed)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if changed("encoder-rate") && !cfg.HasEncoder() {
		return nil, fmt.Errorf("--encoder-rate sets the inference network's objective, but this run has none: add --posterior-init encoder")
	}
	return &cfg, t.eval.check()
}

// sizeForCorpus sizes a "corpus" preset for the training split of the corpus at data (SizeFor).
func sizeForCorpus(cfg *Config, data string) error {
	if data == "" {
		return fmt.Errorf("--preset corpus sizes the model for a corpus of yours: give --data DIR")
	}
	c, err := LoadCorpus(data)
	if err != nil {
		return err
	}
	tokens := 0
	for _, s := range c.Train {
		tokens += len(s)
	}
	cfg.EmbedDim, cfg.HiddenDim, cfg.Iterations = SizeFor(tokens, len(c.Train))
	return nil
}

// corpusPresets are the presets sized for a real corpus (its vocabulary and sentence lengths), which
// refuse to train on the embedded demo corpus.
var corpusPresets = map[string]string{"ptb": "the Penn Treebank (10k words)", "snli": "SNLI", "yahoo": "Yahoo Answers (20k words)"}

// config is the estimator setting of the final evaluation of a model of cfg (rows per call raised to the
// chains where they are more).
func (e FinalEval) config(cfg Config) EvalConfig {
	ec := DefaultEvalConfig(cfg)
	ec.Chains, ec.ImportanceSamples, ec.LogZSamples = e.Chains, e.ImportanceSamples, e.LogZSamples
	ec.MaxSentences, ec.RowsPerCall = e.Sentences, max(ec.RowsPerCall, e.Chains)
	return ec
}

// check refuses final-evaluation settings out of range, naming train's flag, before anything is created.
func (e FinalEval) check() error {
	var v learn.Validation
	v.Require(e.Chains >= 2, "--eval-chains must be at least 2 (q(z|x) is fitted to the chains), got %d", e.Chains)
	v.Require(e.ImportanceSamples >= 1, "--eval-samples must be at least 1, got %d", e.ImportanceSamples)
	v.Require(e.LogZSamples >= 1, "--logz-samples must be at least 1, got %d", e.LogZSamples)
	v.Require(e.Sentences >= 0, "--eval-sentences must be 0 (all) or more, got %d", e.Sentences)
	v.Require(e.Every >= 0, "--eval-every must be 0 (never) or more, got %d", e.Every)
	v.Require(e.EveryTime >= 0, "--eval-every-time must be 0 (never) or a positive duration, got %v", e.EveryTime)
	v.Require(e.Split == "test" || e.Split == "valid" || e.Split == "", "--eval-split must be test or valid, got %q", e.Split)
	v.Require(e.EverySentences >= 2, "--eval-every-sentences must be at least 2, got %d", e.EverySentences)
	if err := v.Err(""); err != nil {
		return err
	}
	return learn.LogZMemory(e.LogZSamples, "--logz-samples").Check()
}

// New builds the vocabulary of the corpus at in.Data (absolute; "": the embedded one) and a model of cfg on it.
func (t *trainFlags) New(backend compute.Backend, cfg run.Config, in run.Input) (run.Session, error) {
	c := *cfg.(*Config)
	corpus, err := LoadCorpus(in.Data)
	if err != nil {
		return nil, err
	}
	info := RunInfo{Data: in.Data, TrainDigest: corpora.Digest(corpus.Train)}
	m, err := NewModel(backend, c, corpora.BuildVocab(corpus.Train, c.VocabSize, c.MinCount))
	if err != nil {
		return nil, err
	}
	return newSession(m, info, corpus, nil, t.eval, in.UI)
}

// Resume continues an opened text run on its data (moved or not) or, with in.NewData, on other data.
func (t *trainFlags) Resume(model run.Model, core func(*learn.Config), in run.Input) (run.Session, error) {
	if err := t.eval.check(); err != nil {
		return nil, err
	}
	r := model.(*Run)
	core(&r.Model.Config.Config)
	data := in.ResumeData(r.Info.Data)
	corpus, err := LoadCorpus(data)
	if err != nil {
		return nil, corpora.MovedHint(err, r.Info.Data, in.Data)
	}
	info := r.Info
	if info.TrainDigest, err = in.CheckData(r.Info.Data, data, r.Info.TrainDigest, corpora.Digest(corpus.Train)); err != nil {
		return nil, err
	}
	info.Data = data
	return newSession(r.Model, info, corpus, &r.State, t.eval, in.UI)
}
