package text

import (
	"math"

	"github.com/lebm/lebm/sampler"
)

// Where chains start (Config.PosteriorInit, Config.PriorInit).
//
// Costs, per learning iteration with batch B and the decoder's cost C per sentence evaluation:
//   - noise: the paper's N(0, I) start; K steps cost K (forward + backward) decoder passes.
//   - persistent: each training example's chain restarts where its last visit ended; the same cost plus
//     B*d floats of host memory per example of the training set (saved with checkpoints).
//   - encoder: a draw of the inference network q_phi(z|x) (one encoder pass) starts the chain; with K1 = 0
//     it replaces the chain (the update then is a VAE step with the EBM prior); the encoder's update adds
//     one encoder and one decoder forward + backward pass.
//   - synthesis: a draw of q_psi(z) starts the prior chain; with K0 = 0 it replaces it. Nearly free.
const (
	InitNoise      = "noise"
	InitPersistent = "persistent"
	InitEncoder    = "encoder"
	InitSynthesis  = "synthesis"
)

// The inference network's rate term (Config.EncoderRate).
//   - model: KL(q_phi(z|x) || p_alpha) up to log Z, i.e. KL(q || N(0, I)) - E_q f_alpha(z): the seed's
//     objective, the negative ELBO of the model itself. Measured on PTB (README): with free bits the EBM
//     absorbs the rate (all q(z|x) move together to where f_alpha is high), and the latent collapses.
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

// EncoderSize is the encoder's LSTM size.
func (c *Config) EncoderSize() int {
	if c.EncoderHidden > 0 {
		return c.EncoderHidden
	}
	return c.HiddenDim
}

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

// posteriorGraphSteps is the length the learning iteration unrolls the posterior chain to: the longest
// chain any iteration runs (a shorter one has its remaining steps switched off).
func (c *Config) posteriorGraphSteps() int {
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
