package text

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/prior"
)

// Config holds every hyperparameter of a text model and its training. It is stored in the checkpoint
// (hparams.json), so that evaluation and sampling need no architecture flags. The prior, chain,
// optimizer and run hyperparameters are the families' shared learn.Config (inlined in the JSON).
type Config struct {
	Preset string `json:"preset"`

	// Architecture of the LSTM decoder (and of the inference network, when there is one).
	EmbedDim      int `json:"embed_dim"`                // word embedding size
	HiddenDim     int `json:"hidden_dim"`               // LSTM hidden size
	EncoderHidden int `json:"encoder_hidden,omitempty"` // inference network LSTM size (0 = HiddenDim)

	// Data.
	MaxLen      int     `json:"max_len"`                // tokens per sentence including <bos> and <eos>
	VocabSize   int     `json:"vocab_size"`             // maximum vocabulary size including special tokens (0 = all)
	MinCount    int     `json:"min_count"`              // minimum train count for a word to enter the vocabulary
	WordDropout float64 `json:"word_dropout,omitempty"` // training: probability of replacing a decoder input word by <unk>

	learn.Config
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
	return Config{MaxLen: DefaultMaxLen, MinCount: 1, Config: learn.Config{
		ZDim: DefaultZDim, Prior: prior.EBM, EBMWidth: prior.DefaultWidth,
		K0: DefaultK0, S0: DefaultS0, K1: DefaultK1, S1: DefaultS1,
		LRGen: DefaultLRGen, LRPrior: DefaultLRPrior, Beta1: DefaultBeta1, Beta2: DefaultBeta2, GenClip: DefaultGenClip,
		Batch: DefaultBatch, Iterations: 10000, Seed: 1, SaveEvery: 500, LogEvery: 10,
	}}
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

// Validate checks that the configuration is usable: the shared hyperparameters, then the text family's.
func (c *Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	type check struct {
		ok  bool
		msg string
	}
	for _, ch := range []check{
		{c.EmbedDim > 0, "embedding size must be positive"},
		{c.HiddenDim > 0, "hidden size must be positive"},
		{c.MaxLen >= 3, "maximum length must be at least 3 (<bos>, a word, <eos>)"},
		{c.VocabSize == 0 || c.VocabSize > 4, "vocabulary size must be 0 (no limit) or more than the 4 special tokens"},
		{c.MinCount >= 1, "minimum count must be >= 1"},
		{c.EncoderHidden >= 0, "encoder hidden size must be >= 0"},
		{c.WordDropout >= 0 && c.WordDropout < 1, "word dropout must be in [0, 1)"},
	} {
		if !ch.ok {
			return fmt.Errorf("invalid configuration: %s", ch.msg)
		}
	}
	return nil
}
