package text

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lebm/lebm/prior"
)

// Config holds every hyperparameter of a text model and its training. It is stored in the checkpoint
// (hparams.json), so that evaluation and sampling need no architecture flags.
type Config struct {
	Preset string `json:"preset"`

	// Architecture.
	EmbedDim  int    `json:"embed_dim"`  // word embedding size
	HiddenDim int    `json:"hidden_dim"` // LSTM hidden size
	ZDim      int    `json:"z_dim"`      // latent size d
	Prior     string `json:"prior"`      // "ebm" or "gaussian"
	EBMWidth  int    `json:"ebm_width"`  // nef, hidden width of f_alpha

	// Short-run Langevin chains.
	K0 int     `json:"k0"` // prior chain steps
	S0 float64 `json:"s0"` // prior chain step size
	K1 int     `json:"k1"` // posterior chain steps
	S1 float64 `json:"s1"` // posterior chain step size

	// Inference (see inference.go): where chains start, step-size schedules, warm-ups, amortized networks.
	// Zero values mean the paper's algorithm: chains from N(0, I), constant step sizes, no warm-up.
	PosteriorInit     string  `json:"posterior_init,omitempty"`      // "noise" (N(0, I)), "persistent" or "encoder"
	PriorInit         string  `json:"prior_init,omitempty"`          // "noise" (N(0, I)) or "synthesis"
	S0End             float64 `json:"s0_end,omitempty"`              // prior chain: step size at its last step (0 = constant s0)
	S1End             float64 `json:"s1_end,omitempty"`              // posterior chain: step size at its last step (0 = constant s1)
	K1Warmup          int     `json:"k1_warmup,omitempty"`           // posterior steps during the first K1WarmupIters iterations
	K1WarmupIters     int     `json:"k1_warmup_iters,omitempty"`     // iterations that use K1Warmup steps (0 = none)
	PriorWeightWarmup int     `json:"prior_weight_warmup,omitempty"` // iterations over which the prior term's weight grows 0 -> 1
	EncoderHidden     int     `json:"encoder_hidden,omitempty"`      // inference network LSTM size (0 = HiddenDim)
	FreeBits          float64 `json:"free_bits,omitempty"`           // encoder KL: nats per dimension below which it is free (0 = none)
	EncoderRate       string  `json:"encoder_rate,omitempty"`        // encoder's rate term: "model" (KL to p_alpha, default) or "base" (KL to N(0, I))
	WordDropout       float64 `json:"word_dropout,omitempty"`        // training: probability of replacing a decoder input word by <unk>

	// Optimisation: Adam with betas (Beta1, Beta2) for both the generator and the prior.
	LRGen   float64 `json:"lr_gen"`
	LRPrior float64 `json:"lr_prior"`
	Beta1   float64 `json:"beta1"`
	Beta2   float64 `json:"beta2"`
	GenClip float64 `json:"gen_clip"` // generator gradient-norm clip (0 = none)

	// Data.
	Batch     int `json:"batch"`
	MaxLen    int `json:"max_len"`    // tokens per sentence including <bos> and <eos>
	VocabSize int `json:"vocab_size"` // maximum vocabulary size including special tokens (0 = all)
	MinCount  int `json:"min_count"`  // minimum train count for a word to enter the vocabulary

	// Run.
	Iterations int    `json:"iterations"`
	Seed       uint64 `json:"seed"`
	SaveEvery  int    `json:"save_every"` // iterations between checkpoints
	LogEvery   int    `json:"log_every"`  // iterations between JSON-lines log records
}

// Defaults shared by all presets (DESIGN.md; the text learning rates are the toolkit's choice, since the
// paper gives none).
const (
	DefaultZDim    = 32
	DefaultK0      = 60
	DefaultS0      = 0.4
	DefaultK1      = 20
	DefaultS1      = 0.1
	DefaultLRGen   = 1e-3
	DefaultLRPrior = 1e-4
	DefaultBeta1   = 0.5
	DefaultBeta2   = 0.999
	DefaultGenClip = 5
	DefaultBatch   = 32
	DefaultMaxLen  = 40
)

func base() Config {
	return Config{
		ZDim: DefaultZDim, Prior: prior.EBM, EBMWidth: prior.DefaultWidth,
		K0: DefaultK0, S0: DefaultS0, K1: DefaultK1, S1: DefaultS1,
		LRGen: DefaultLRGen, LRPrior: DefaultLRPrior, Beta1: DefaultBeta1, Beta2: DefaultBeta2, GenClip: DefaultGenClip,
		Batch: DefaultBatch, MaxLen: DefaultMaxLen, MinCount: 1,
		Iterations: 10000, Seed: 1, SaveEvery: 500, LogEvery: 10,
	}
}

// Presets: the paper's Table 3 (embedding / hidden) for SNLI, PTB and Yahoo, and "embedded", a small model
// for the embedded generated corpus that trains on 2 CPU cores in minutes.
var Presets = map[string]func() Config{
	"ptb": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim, c.VocabSize = "ptb", 128, 512, 10004
		return c
	},
	"snli": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim = "snli", 256, 256
		return c
	},
	"yahoo": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim, c.VocabSize = "yahoo", 512, 1024, 20004
		return c
	},
	"embedded": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim = "embedded", 32, 64
		c.Iterations, c.SaveEvery, c.LogEvery = 500, 100, 10
		c.MaxLen = 16
		return c
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string { return slices.Sorted(maps.Keys(Presets)) }

// Preset returns the named preset.
func Preset(name string) (Config, error) {
	f, ok := Presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown preset %q (expected one of %v)", name, PresetNames())
	}
	return f(), nil
}

// Validate checks that the configuration is usable.
func (c *Config) Validate() error {
	type check struct {
		ok  bool
		msg string
	}
	for _, ch := range []check{
		{c.EmbedDim > 0, "embedding size must be positive"},
		{c.HiddenDim > 0, "hidden size must be positive"},
		{c.ZDim > 0, "z dimension must be positive"},
		{c.Prior == prior.EBM || c.Prior == prior.Gaussian, fmt.Sprintf("prior must be %q or %q, got %q", prior.EBM, prior.Gaussian, c.Prior)},
		{c.Prior == prior.Gaussian || c.EBMWidth > 0, "EBM width must be positive"},
		{c.K0 >= 0 && c.K1 >= 0, "chain lengths K0, K1 must be >= 0"},
		{c.S0 > 0 && c.S1 > 0, "step sizes s0, s1 must be positive"},
		{c.LRGen > 0 && c.LRPrior >= 0, "learning rates must be positive"},
		{c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 >= 0 && c.Beta2 < 1, "Adam betas must be in [0, 1)"},
		{c.GenClip >= 0, "gradient clip must be >= 0"},
		{c.Batch > 0, "batch size must be positive"},
		{c.MaxLen >= 3, "maximum length must be at least 3 (<bos>, a word, <eos>)"},
		{c.VocabSize == 0 || c.VocabSize > 4, "vocabulary size must be 0 (no limit) or more than the 4 special tokens"},
		{c.MinCount >= 1, "minimum count must be >= 1"},
		{c.Iterations >= 0, "iterations must be >= 0"},
		{c.PosteriorInit == "" || c.PosteriorInit == InitNoise || c.PosteriorInit == InitPersistent || c.PosteriorInit == InitEncoder,
			fmt.Sprintf("posterior init must be %q, %q or %q, got %q", InitNoise, InitPersistent, InitEncoder, c.PosteriorInit)},
		{c.PriorInit == "" || c.PriorInit == InitNoise || c.PriorInit == InitSynthesis,
			fmt.Sprintf("prior init must be %q or %q, got %q", InitNoise, InitSynthesis, c.PriorInit)},
		{c.PriorInit != InitSynthesis || c.Prior == prior.EBM, "the synthesis network needs the ebm prior (the gaussian prior is sampled exactly)"},
		{c.S0End >= 0 && c.S1End >= 0, "final step sizes must be >= 0 (0 = constant)"},
		{c.K1Warmup >= 0 && c.K1WarmupIters >= 0 && c.PriorWeightWarmup >= 0, "warm-up lengths must be >= 0"},
		{c.EncoderHidden >= 0, "encoder hidden size must be >= 0"},
		{c.FreeBits >= 0, "free bits must be >= 0"},
		{c.EncoderRate == "" || c.EncoderRate == RateModel || c.EncoderRate == RateBase,
			fmt.Sprintf("encoder rate must be %q or %q, got %q", RateModel, RateBase, c.EncoderRate)},
		{c.FreeBits == 0 || c.HasEncoder(), "free bits apply to the inference network's KL: they need --posterior-init encoder"},
		{c.WordDropout >= 0 && c.WordDropout < 1, "word dropout must be in [0, 1)"},
		{c.SaveEvery > 0 && c.LogEvery > 0, "save and log intervals must be positive"},
	} {
		if !ch.ok {
			return fmt.Errorf("invalid configuration: %s", ch.msg)
		}
	}
	return nil
}
