package text

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
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
	// MaxLen, when set, is the longest training sentence in tokens including <bos> and <eos>: longer ones
	// are left out of training (never cut) and counted; 0 (corpora.Whole) trains on every sentence whole.
	MaxLen      int     `json:"max_len"`
	VocabSize   int     `json:"vocab_size"`             // maximum vocabulary size including special tokens (0 = all)
	MinCount    int     `json:"min_count"`              // minimum train count for a word to enter the vocabulary
	WordDropout float64 `json:"word_dropout,omitempty"` // training: probability of replacing a decoder input word by <unk>
	BoWWeight   float64 `json:"bow_weight,omitempty"`   // training: weight of the bag-of-words loss (BoW; 0 = none; needs the inference network)

	learn.Config
}

// Defaults shared by all text presets, besides the chains' and Adam's betas (learn.Default*): DESIGN.md;
// the text learning rates are the toolkit's choice, since the paper gives none.
const (
	DefaultZDim    = 32
	DefaultLRGen   = 1e-3
	DefaultLRPrior = 1e-4
	DefaultGenClip = 5
	DefaultBatch   = 32
	// DecodeWordLimit is the longest decoded sentence in words of a model trained on whole sentences
	// (one with a MaxLen decodes at most MaxLen - 2): above PTB's longest (82 words).
	DecodeWordLimit = 100
)

func base() Config {
	return Config{MaxLen: corpora.Whole, MinCount: 1, Config: learn.Config{
		ZDim: DefaultZDim, Prior: prior.EBM, EBMWidth: prior.DefaultWidth,
		K0: learn.DefaultK0, S0: learn.DefaultS0, K1: learn.DefaultK1, S1: learn.DefaultS1,
		LRGen: DefaultLRGen, LRPrior: DefaultLRPrior, Beta1: learn.DefaultBeta1, Beta2: learn.DefaultBeta2, GenClip: DefaultGenClip,
		Batch: DefaultBatch, Iterations: 10000, Seed: 1, SaveEvery: 500, Keep: learn.DefaultKeep, LogEvery: 10,
	}}
}

// WordLimit is the longest sentence the model decodes, in words: MaxLen - 2, or DecodeWordLimit for a
// model trained on whole sentences.
func (c *Config) WordLimit() int {
	if c.MaxLen == corpora.Whole {
		return DecodeWordLimit
	}
	return c.MaxLen - 2
}

// The two ways a text model learns (lebm train --learning):
//   - Recommended, the default of every text preset but "embedded-paper" (README, "Recommended text
//     configuration"): the inference network replaces the posterior chain during training (K1 = 0),
//     trained against N(0, I) with free bits 0.1 nats per dimension and the prior weight warmed up over
//     200 iterations; the EBM prior learns by the paper's update with its prior chain (K0 = 60, s0 = 0.4)
//     at a learning rate of 1e-3. Without it the paper's short-run posterior chains leave the latent
//     collapsed on these budgets (DESIGN.md, "Posterior collapse").
//   - Paper: both chains short-run Langevin from N(0, I) (K0 = 60, K1 = 20), no inference network, the
//     prior learning rate 1e-4: the paper's appendix A.8.
const (
	LearningRecommended = "recommended"
	LearningPaper       = "paper"
)

// Recommended learning settings (LearningRecommended).
const (
	RecommendedFreeBits          = 0.1
	RecommendedPriorWeightWarmup = 200
	RecommendedLRPrior           = 1e-3
)

// recommended sets the recommended learning (LearningRecommended).
func (c *Config) recommended() {
	c.PosteriorInit, c.K1, c.EncoderRate = learn.InitEncoder, 0, learn.RateBase
	c.FreeBits, c.PriorWeightWarmup, c.LRPrior = RecommendedFreeBits, RecommendedPriorWeightWarmup, RecommendedLRPrior
}

// paper sets the paper's learning (LearningPaper), keeping the model's sizes.
func (c *Config) paper() {
	b := base()
	c.PosteriorInit, c.K1, c.EncoderRate, c.FreeBits, c.PriorWeightWarmup, c.BoWWeight = b.PosteriorInit, b.K1, b.EncoderRate, 0, 0, 0
	c.LRGen, c.LRPrior = b.LRGen, b.LRPrior
}

// SetLearning applies the named learning (LearningRecommended or LearningPaper; "": the preset's own).
func (c *Config) SetLearning(name string) error {
	if name != "" && (c.Preset == "embedded" || c.Preset == "embedded-paper") {
		return fmt.Errorf("--learning: the embedded presets name their learning: --preset embedded (recommended, with the bag-of-words loss) " +
			"or --preset embedded-paper (the paper's)")
	}
	switch name {
	case "":
	case LearningRecommended:
		c.recommended()
	case LearningPaper:
		c.paper()
	default:
		return fmt.Errorf("--learning must be %s or %s, got %q", LearningRecommended, LearningPaper, name)
	}
	return nil
}

// Presets: the paper's Table 3 (embedding / hidden) for SNLI, PTB and Yahoo, trained with the recommended
// learning (--learning paper: the paper's), on whole sentences; "corpus", sized by SizeFor for a corpus of
// the user's (what --data without --preset takes); and two for the embedded generated corpus, a small
// model that trains on 2 CPU cores in minutes:
//   - "embedded" (the default) trains with the toolkit's recommended configuration (README, "Recommended
//     text configuration"): the inference network replaces the posterior chain during training (K1 = 0),
//     trained with free bits against N(0, I) and a warmed-up prior weight, the EBM prior learning by the
//     paper's update with its prior chain (K0 = 60, s0 = 0.4); plus the bag-of-words loss (BoW), without
//     which the latent carries the sentence's length and first word but not its topic, a generator
//     learning rate of 3e-3 so that 1500 iterations suffice, and a prior learning rate of 3e-4 (1e-3,
//     PTB's recommendation, let the topic shares of prior samples drift more: README);
//   - "embedded-paper" is the same model trained as the paper trains: both chains short-run Langevin from
//     N(0, I) (K0 = 60, K1 = 20), no inference network; on this corpus and budget its latent collapses.
var Presets = map[string]func() Config{
	"ptb": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim, c.VocabSize = "ptb", 128, 512, 10004
		c.recommended()
		return c
	},
	"snli": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim = "snli", 256, 256
		c.recommended()
		return c
	},
	"yahoo": func() Config {
		c := base()
		c.Preset, c.EmbedDim, c.HiddenDim, c.VocabSize = "yahoo", 512, 1024, 20004
		c.recommended()
		return c
	},
	"corpus": func() Config {
		c := base()
		c.Preset, c.VocabSize = "corpus", 10004
		c.EmbedDim, c.HiddenDim, c.Iterations = SizeFor(0, 0)
		c.recommended()
		return c
	},
	"embedded": func() Config {
		c := embeddedModel()
		c.Preset, c.Iterations, c.SaveEvery = "embedded", EmbeddedIterations, 500
		c.PosteriorInit, c.K1, c.EncoderRate = learn.InitEncoder, 0, learn.RateBase
		c.FreeBits, c.PriorWeightWarmup, c.BoWWeight = EmbeddedFreeBits, EmbeddedPriorWeightWarmup, EmbeddedBoWWeight
		c.LRGen, c.LRPrior = EmbeddedLRGen, EmbeddedLRPrior
		return c
	},
	"embedded-paper": func() Config {
		c := embeddedModel()
		c.Preset, c.Iterations, c.SaveEvery = "embedded-paper", 500, 100
		return c
	},
}

// The "embedded" preset's training settings (the toolkit's choice, measured in the README: "The embedded
// corpus").
const (
	EmbeddedIterations        = 1500
	EmbeddedFreeBits          = 0.1 // nats per dimension
	EmbeddedPriorWeightWarmup = 200
	EmbeddedBoWWeight         = 1
	EmbeddedLRGen             = 3e-3
	EmbeddedLRPrior           = 3e-4
)

// embeddedModel is the embedded presets' model: embedding 32, hidden 64, sentences of at most 16 tokens
// (every sentence of the embedded corpus: none is left out).
func embeddedModel() Config {
	c := base()
	c.EmbedDim, c.HiddenDim, c.MaxLen, c.LogEvery = 32, 64, 16, 10
	return c
}

// SizeFor is the "corpus" preset's model for a training split of tokens words in sentences sentences:
// the hidden size grows with the corpus (64 below 50k words, 128 below 200k, 256 below 500k, 512 from
// there: PTB's 887k words get the paper's PTB decoder), the embedding is a quarter of it (at least 32),
// and the budget is 20 epochs of batches of 32, within 500 to 10,000 iterations.
func SizeFor(tokens, sentences int) (embed, hidden, iterations int) {
	switch {
	case tokens < 50000:
		hidden = 64
	case tokens < 200000:
		hidden = 128
	case tokens < 500000:
		hidden = 256
	default:
		hidden = 512
	}
	return max(hidden/4, 32), hidden, min(max(20*sentences/DefaultBatch, 500), 10000)
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
	var v learn.Validation
	v.Require(c.EmbedDim > 0, "--embed must be positive, got %d", c.EmbedDim)
	v.Require(c.HiddenDim > 0, "--hidden must be positive, got %d", c.HiddenDim)
	v.Require(c.MaxLen == corpora.Whole || c.MaxLen >= 3, "--max-len must be 0 (whole sentences) or at least 3 (<bos>, a word, <eos>), got %d", c.MaxLen)
	v.Require(c.VocabSize == 0 || c.VocabSize > 4, "--vocab-size must be 0 (no limit) or more than the 4 special tokens, got %d", c.VocabSize)
	v.Require(c.MinCount >= 1, "--min-count must be 1 or more, got %d", c.MinCount)
	v.Require(c.EncoderHidden >= 0, "--encoder-hidden must be 0 (the decoder's) or positive, got %d", c.EncoderHidden)
	v.Require(c.WordDropout >= 0 && c.WordDropout < 1, "--word-dropout must be in [0, 1), got %v", c.WordDropout)
	v.Require(c.BoWWeight >= 0 && learn.Float32(c.BoWWeight), "--bow-weight must be 0 or more, finite in float32, got %v", c.BoWWeight)
	v.Require(c.BoWWeight == 0 || c.HasEncoder(), "the bag-of-words loss trains z through the inference network: it needs --posterior-init encoder")
	return v.Err("invalid configuration")
}

// Method says how the model learns, for the run's output: the paper's method (both chains short-run
// Langevin from N(0, I)), or what differs from it; when the learning settings are the "embedded" preset's,
// that they are the README's recommended configuration and which preset trains the paper's way.
func (c *Config) Method() string {
	priorChain := fmt.Sprintf("the prior (K0 = %d)", c.K0)
	if c.Prior == prior.Gaussian {
		priorChain = "no prior chain (gaussian prior: exact N(0, I) draws, the paper's ablation)"
	}
	parts := c.deviations()
	if len(parts) == 0 {
		return fmt.Sprintf("the paper's: short-run Langevin chains from N(0, I) for the posterior (K1 = %d) and %s", c.K1, priorChain)
	}
	s := "not the paper's: " + strings.Join(parts, ", ")
	if c.Prior == prior.Gaussian {
		s += "; " + priorChain
	}
	rec := base()
	rec.recommended()
	if emb, _ := Preset("embedded"); slices.Equal(parts, emb.deviations()) {
		s += ` (the "embedded" preset's: the README's recommended configuration plus the bag-of-words loss; the paper's learning: --preset embedded-paper)`
	} else if slices.Equal(parts, rec.deviations()) {
		s += " (the README's recommended configuration; the paper's learning: --learning paper)"
	}
	return s
}

// deviations lists the learning settings that differ from the paper's, in words.
func (c *Config) deviations() []string {
	var parts []string
	switch c.PosteriorStart() {
	case learn.InitEncoder:
		if c.K1 == 0 {
			parts = append(parts, "the inference network q_phi replaces the posterior chain (K1 = 0)")
		} else {
			parts = append(parts, fmt.Sprintf("the inference network q_phi starts the posterior chain (K1 = %d)", c.K1))
		}
		parts = append(parts, fmt.Sprintf("its rate against %s", map[string]string{learn.RateBase: "N(0, I)", learn.RateModel: "p_alpha"}[c.RateAgainst()]))
	case learn.InitPersistent:
		parts = append(parts, fmt.Sprintf("persistent posterior chains (K1 = %d)", c.K1))
	}
	if c.HasSynthesis() {
		parts = append(parts, fmt.Sprintf("the synthesis network q_psi starts the prior chain (K0 = %d)", c.K0))
	}
	if c.K1WarmupIters > 0 {
		parts = append(parts, fmt.Sprintf("%d posterior steps for the first %d iterations", c.K1Warmup, c.K1WarmupIters))
	}
	if c.S0End > 0 {
		parts = append(parts, fmt.Sprintf("prior step size from %g to %g", c.S0, c.S0End))
	}
	if c.S1End > 0 {
		parts = append(parts, fmt.Sprintf("posterior step size from %g to %g", c.S1, c.S1End))
	}
	if c.FreeBits > 0 {
		parts = append(parts, fmt.Sprintf("free bits %g nats per dimension", c.FreeBits))
	}
	if c.PriorWeightWarmup > 0 {
		parts = append(parts, fmt.Sprintf("prior weight warmed up over %d iterations", c.PriorWeightWarmup))
	}
	if c.BoWWeight > 0 {
		parts = append(parts, fmt.Sprintf("bag-of-words loss (weight %g)", c.BoWWeight))
	}
	if c.WordDropout > 0 {
		parts = append(parts, fmt.Sprintf("word dropout %g", c.WordDropout))
	}
	return parts
}
