package learn

import (
	"errors"
	"fmt"
	"math"

	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// DefaultKeep is how many of the newest checkpoints a run keeps by default (Config.Keep), besides its best.
const DefaultKeep = 3

// The defaults every family shares (DESIGN.md: the paper's short-run chains for text and images, Adam's
// betas); a family's presets start from them and set its own sizes, learning rates and batch.
const (
	DefaultK0    = 60  // prior chain steps
	DefaultS0    = 0.4 // prior chain step size
	DefaultK1    = 20  // posterior chain steps (the image presets of CIFAR-10 use 40, Table 1)
	DefaultS1    = 0.1 // posterior chain step size
	DefaultBeta1 = 0.5
	DefaultBeta2 = 0.999
)

// Config holds the hyperparameters every generator family shares: the latent prior, the two chains and
// where they start, the warm-ups and schedules, the amortized networks' objective, both optimizers and
// the run. A family's Config embeds it (encoding/json inlines its fields, so checkpoints keep the keys
// they had when each family had its own copy) and adds its generator's.
type Config struct {
	// The latent prior.
	ZDim     int    `json:"z_dim"`     // latent size d
	Prior    string `json:"prior"`     // "ebm" or "gaussian"
	EBMWidth int    `json:"ebm_width"` // nef, hidden width of f_alpha

	// Short-run Langevin chains.
	K0 int     `json:"k0"` // prior chain steps
	S0 float64 `json:"s0"` // prior chain step size
	K1 int     `json:"k1"` // posterior chain steps
	S1 float64 `json:"s1"` // posterior chain step size

	// Inference: where chains start, step-size schedules, warm-ups, the amortized networks' objective.
	// Zero values mean the paper's algorithm: chains from N(0, I), constant step sizes, no warm-up.
	PosteriorInit     string  `json:"posterior_init,omitempty"`      // "noise" (N(0, I)), "persistent" or "encoder"
	PriorInit         string  `json:"prior_init,omitempty"`          // "noise" (N(0, I)) or "synthesis"
	S0End             float64 `json:"s0_end,omitempty"`              // prior chain: step size at its last step (0 = constant s0)
	S1End             float64 `json:"s1_end,omitempty"`              // posterior chain: step size at its last step (0 = constant s1)
	K1Warmup          int     `json:"k1_warmup,omitempty"`           // posterior steps during the first K1WarmupIters iterations
	K1WarmupIters     int     `json:"k1_warmup_iters,omitempty"`     // iterations that use K1Warmup steps (0 = none)
	PriorWeightWarmup int     `json:"prior_weight_warmup,omitempty"` // iterations over which the prior term's weight grows 0 -> 1
	FreeBits          float64 `json:"free_bits,omitempty"`           // encoder KL: nats per dimension below which it is free (0 = none)
	EncoderRate       string  `json:"encoder_rate,omitempty"`        // encoder's rate term: "model" (KL to p_alpha, default) or "base" (KL to N(0, I))

	// Optimisation: Adam with betas (Beta1, Beta2) for every part, each with its learning rate.
	LRGen   float64 `json:"lr_gen"`
	LRPrior float64 `json:"lr_prior"`
	Beta1   float64 `json:"beta1"`
	Beta2   float64 `json:"beta2"`
	GenClip float64 `json:"gen_clip,omitempty"` // generator gradient-norm clip (0 = none)

	// Run.
	Batch      int    `json:"batch"`
	Iterations int    `json:"iterations"`
	Seed       uint64 `json:"seed"`
	SaveEvery  int    `json:"save_every"` // iterations between checkpoints
	// Keep is how many of the newest checkpoints a run directory keeps (0: every one; absent in runs
	// before it existed: every one), besides its best by validation NLL (ckpt.BestFile).
	Keep     int `json:"keep"`
	LogEvery int `json:"log_every"` // iterations between JSON-lines log records
}

// Where chains start (Config.PosteriorInit, Config.PriorInit).
//
// Costs, per learning iteration with batch B and the generator's cost C per example evaluation:
//   - noise: the paper's N(0, I) start; K steps cost K (forward + backward) generator passes.
//   - persistent: each training example's chain restarts where its last visit ended; the same cost plus
//     d floats of host memory per example of the training set (saved with checkpoints).
//   - encoder: a draw of the family's inference network q_phi(z|x) (one encoder pass) starts the chain;
//     with K1 = 0 it replaces the chain (the update then is a VAE step with the EBM prior); the encoder's
//     update adds one encoder and one generator forward + backward pass.
//   - synthesis: a draw of q_psi(z) starts the prior chain; with K0 = 0 it replaces it. Nearly free.
const (
	InitNoise      = "noise"
	InitPersistent = "persistent"
	InitEncoder    = "encoder"
	InitSynthesis  = "synthesis"
)

// The inference network's rate term (Config.EncoderRate).
//   - model: KL(q_phi(z|x) || p_alpha) up to log Z, i.e. KL(q || N(0, I)) - E_q f_alpha(z): the negative
//     ELBO of the model itself. Measured on PTB (README): with free bits the EBM absorbs the rate (all
//     q(z|x) move together to where f_alpha is high), and the latent collapses.
//   - base: KL(q_phi(z|x) || N(0, I)) only: the encoder is trained as a VAE's would be, as a proposal
//     for the posterior chain, which then samples the model's own posterior (f_alpha included); the EBM
//     learns the aggregate posterior of those samples. The encoder's objective is then no bound on the
//     model's likelihood (evaluation never uses it as one: NLL is importance-sampled).
const (
	RateModel = "model"
	RateBase  = "base"
)

// RateAgainst is the encoder's rate term ("model" when unset).
func (c *Config) RateAgainst() string {
	if c.EncoderRate == "" {
		return RateModel
	}
	return c.EncoderRate
}

// PosteriorStart is the posterior chain's start ("noise" when unset).
func (c *Config) PosteriorStart() string {
	if c.PosteriorInit == "" {
		return InitNoise
	}
	return c.PosteriorInit
}

// PriorStart is the prior chain's start ("noise" when unset).
func (c *Config) PriorStart() string {
	if c.PriorInit == "" {
		return InitNoise
	}
	return c.PriorInit
}

// HasEncoder reports whether the model has an inference network.
func (c *Config) HasEncoder() bool { return c.PosteriorStart() == InitEncoder }

// HasSynthesis reports whether the model has a synthesis network.
func (c *Config) HasSynthesis() bool { return c.PriorStart() == InitSynthesis }

// StepSchedule is the per-step step size of a K-step chain: constant s when end = 0, otherwise geometric
// from s at step 0 to end at step K-1: s_k = s (end/s)^(k/(K-1)).
func StepSchedule(s, end float64) sampler.Schedule {
	if end == 0 || end == s {
		return sampler.Constant(s)
	}
	return func(k, K int) float64 {
		if K <= 1 {
			return s
		}
		return s * math.Pow(end/s, float64(k)/float64(K-1))
	}
}

// PosteriorSteps is the posterior chain's length at training iteration iter (1-based): K1Warmup during
// the first K1WarmupIters iterations, K1 after.
func (c *Config) PosteriorSteps(iter int) int {
	if c.K1WarmupIters > 0 && iter <= c.K1WarmupIters {
		return c.K1Warmup
	}
	return c.K1
}

// PosteriorGraphSteps is the length the learning iteration unrolls the posterior chain to: the longest
// chain any iteration runs (a shorter one has its remaining steps switched off).
func (c *Config) PosteriorGraphSteps() int {
	if c.K1WarmupIters > 0 {
		return max(c.K1, c.K1Warmup)
	}
	return c.K1
}

// PriorWeight is the weight lambda of the prior term at training iteration iter (1-based), growing
// linearly from 1/W to 1 over the first W = PriorWeightWarmup iterations (1 throughout when W = 0). The
// posterior chain samples exp(lambda log p_alpha(z) + log p_beta(x|z)), and the encoder's objective
// weighs its KL term by lambda: the analogue of KL annealing. With lambda < 1 the chain is not the model's
// posterior: the warm-up trades exactness early in training for a latent the decoder learns to read.
func (c *Config) PriorWeight(iter int) float64 {
	if c.PriorWeightWarmup <= 0 || iter >= c.PriorWeightWarmup {
		return 1
	}
	return float64(max(iter, 1)) / float64(c.PriorWeightWarmup)
}

// Validation collects the first failed requirement of a set of settings: checks list their requirements
// with Require, and Err is the error of the first that failed (nil when all hold).
type Validation struct{ msg string }

// Require records the message (format and args, as fmt.Sprintf) when ok is false and no earlier
// requirement failed.
func (v *Validation) Require(ok bool, format string, args ...any) {
	if !ok && v.msg == "" {
		v.msg = fmt.Sprintf(format, args...)
	}
}

// Err is the first failed requirement's message after prefix (when not ""), or nil.
func (v *Validation) Err(prefix string) error {
	switch {
	case v.msg == "":
		return nil
	case prefix == "":
		return errors.New(v.msg)
	}
	return fmt.Errorf("%s: %s", prefix, v.msg)
}

// Validate checks the shared hyperparameters (a family's Validate adds its own checks); each message
// names the flag of `lebm train` (and the checkpoint's key is the flag's name with underscores). Real
// values must be finite in float32, the precision the model computes in.
func (c *Config) Validate() error {
	nonNeg := func(v float64) bool { return v >= 0 && Float32(v) && (v == 0 || float32(v) > 0) }
	var v Validation
	v.Require(c.ZDim > 0, "--z (latent dimension) must be positive, got %d", c.ZDim)
	v.Require(c.Prior == prior.EBM || c.Prior == prior.Gaussian, "--prior must be %q or %q, got %q", prior.EBM, prior.Gaussian, c.Prior)
	v.Require(c.Prior == prior.Gaussian || c.EBMWidth > 0, "--ebm-width (nef) must be positive, got %d", c.EBMWidth)
	v.Require(c.K0 >= 0, "--k0 must be 0 or more Langevin steps, got %d", c.K0)
	v.Require(c.K1 >= 0, "--k1 must be 0 or more Langevin steps, got %d", c.K1)
	v.Require(PositiveFloat32(c.S0), "--s0 must be a step size positive and finite in float32, got %v", c.S0)
	v.Require(PositiveFloat32(c.S1), "--s1 must be a step size positive and finite in float32, got %v", c.S1)
	v.Require(PositiveFloat32(c.LRGen), "--lr-gen must be positive and finite in float32, got %v", c.LRGen)
	v.Require(nonNeg(c.LRPrior), "--lr-prior must be 0 (a fixed prior) or positive, finite in float32, got %v", c.LRPrior)
	v.Require(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 >= 0 && c.Beta2 < 1, "Adam's betas must be in [0, 1), got %v and %v", c.Beta1, c.Beta2)
	v.Require(nonNeg(c.GenClip), "--clip must be 0 (none) or positive, finite in float32, got %v", c.GenClip)
	v.Require(c.Batch > 0, "--batch must be positive, got %d", c.Batch)
	v.Require(c.Iterations >= 0, "--iterations must be 0 or more, got %d", c.Iterations)
	v.Require(c.PosteriorInit == "" || c.PosteriorInit == InitNoise || c.PosteriorInit == InitPersistent || c.PosteriorInit == InitEncoder,
		"--posterior-init must be %q, %q or %q, got %q", InitNoise, InitPersistent, InitEncoder, c.PosteriorInit)
	v.Require(c.PriorInit == "" || c.PriorInit == InitNoise || c.PriorInit == InitSynthesis, "--prior-init must be %q or %q, got %q", InitNoise, InitSynthesis, c.PriorInit)
	v.Require(c.PriorInit != InitSynthesis || c.Prior == prior.EBM, "--prior-init synthesis needs --prior ebm (the gaussian prior is sampled exactly)")
	v.Require(nonNeg(c.S0End), "--s0-end must be 0 (constant) or a step size positive and finite in float32, got %v", c.S0End)
	v.Require(nonNeg(c.S1End), "--s1-end must be 0 (constant) or a step size positive and finite in float32, got %v", c.S1End)
	v.Require(c.K1Warmup >= 0 && c.K1WarmupIters >= 0 && c.PriorWeightWarmup >= 0,
		"--k1-warmup, --k1-warmup-iters and --prior-weight-warmup must be 0 or more, got %d, %d and %d", c.K1Warmup, c.K1WarmupIters, c.PriorWeightWarmup)
	v.Require(nonNeg(c.FreeBits), "--free-bits must be 0 or more, finite in float32, got %v", c.FreeBits)
	v.Require(c.EncoderRate == "" || c.EncoderRate == RateModel || c.EncoderRate == RateBase, "--encoder-rate must be %q or %q, got %q", RateModel, RateBase, c.EncoderRate)
	v.Require(c.FreeBits == 0 || c.HasEncoder(), "--free-bits apply to the inference network's KL: they need --posterior-init encoder")
	v.Require(c.SaveEvery > 0, "--save-every must be positive, got %d", c.SaveEvery)
	v.Require(c.Keep >= 0, "--keep must be 0 (every checkpoint) or more, got %d", c.Keep)
	v.Require(c.LogEvery > 0, "--log-every must be positive, got %d", c.LogEvery)
	return v.Err("invalid configuration")
}
