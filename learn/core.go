package learn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Family is a generator family as the core sees it: log p_beta(x|z) as graph code over a batch of
// NumData graph inputs, and the generator's variables (which its optimizer trains). A family with an
// inference network also implements Encoding.
type Family interface {
	Generator
	GeneratorVariables() []*model.Variable
	NumData() int
}

// ChainDataFamily is an optional part of a Family whose training batches carry two versions of the data:
// the one the updates learn from and the one the posterior chain infers z from (text with word
// dropout: the chain sees the sentence undropped, as DESIGN.md says dropout is off inside the chain).
type ChainDataFamily interface {
	SeparateChainData() bool
}

// AuxiliaryFamily is an optional part of a Family with an auxiliary training loss on z (nil: none this
// model; see Auxiliary).
type AuxiliaryFamily interface {
	Auxiliary() Auxiliary
}

// Encoding is a family's inference network q_phi(z|x) with its variables.
type Encoding interface {
	Encoder
	EncoderVariables() []*model.Variable
}

// Initialisation streams PCG(seed, stream) of the core's networks (the family's generator has its own):
// separate streams, so that an EBM-prior model and its gaussian ablation start from the same generator,
// and adding an amortized network changes no other variable's initial value.
const (
	PriorInitStream     = 0x1417
	GeneratorInitStream = 0x1418 // the family's generator
	EncoderInitStream   = 0x1419 // the family's inference network
	SynthInitStream     = 0x141a
)

// Core is everything of a latent-prior model that is not the generator: the prior p_alpha(z) and the
// synthesis network q_psi, one Adam per part (generator, prior, encoder, synthesis), the chains, the
// compiled learning iteration, and the host-side calls evaluation and sampling use. A family's model
// creates its generator (and encoder) in Ctx, then the core with NewCore.
type Core struct {
	Config  *Config
	Backend compute.Backend
	Ctx     *model.Scope
	Prior   *prior.Prior
	Synth   *prior.Synthesis // nil unless PriorInit = "synthesis"
	Family  Family
	Enc     Encoding // nil unless PosteriorInit = "encoder"
	// HostNoise: the learning iteration's chain noise is drawn on the host (the Go backend, where the host
	// is the device and its ziggurat beats the graph's Box-Muller); on other backends in the graph.
	HostNoise bool

	genOpt, priorOpt, encOpt, synthOpt *optim.Adam
	iteration                          *Iteration
	priorChain, postChain              *sampler.Langevin
	priorEval                          *prior.Evaluator
	synth, logpx, energy               *model.Exec
}

// NewCore creates the prior (and synthesis network), the optimizers and the compiled graphs for family,
// whose variables already live in ctx; enc is its inference network (nil: none; required when
// cfg.HasEncoder()).
func NewCore(backend compute.Backend, ctx *model.Scope, cfg *Config, fam Family, enc Encoding) (*Core, error) {
	if cfg.HasEncoder() != (enc != nil) {
		return nil, fmt.Errorf("posterior init %q with %s inference network", cfg.PosteriorStart(), map[bool]string{true: "an", false: "no"}[enc != nil])
	}
	c := &Core{Config: cfg, Backend: backend, Ctx: ctx, Family: fam, Enc: enc, HostNoise: backend.String() == gobackend.BackendName}
	store := ctx.Store()
	var err error
	if c.Prior, err = prior.New(ctx, cfg.Prior, cfg.ZDim, cfg.EBMWidth, rand.New(rand.NewPCG(cfg.Seed, PriorInitStream))); err != nil {
		return nil, err
	}
	if c.genOpt, err = optim.NewAdam(store, "generator", fam.GeneratorVariables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, cfg.GenClip); err != nil {
		return nil, err
	}
	if c.priorOpt, err = optim.NewAdam(store, "prior", c.Prior.Variables(), cfg.LRPrior, cfg.Beta1, cfg.Beta2, 0); err != nil {
		return nil, err
	}
	// The amortized networks learn at the generator's rate (the synthesis network must follow a moving
	// p_alpha); the encoder shares the generator's clip.
	if enc != nil {
		if c.encOpt, err = optim.NewAdam(store, "encoder", enc.EncoderVariables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, cfg.GenClip); err != nil {
			return nil, err
		}
	}
	if cfg.HasSynthesis() {
		c.Synth = prior.NewSynthesis(ctx, rand.New(rand.NewPCG(cfg.Seed, SynthInitStream)), cfg.ZDim)
		if c.synthOpt, err = optim.NewAdam(store, "synthesis", c.Synth.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, 0); err != nil {
			return nil, err
		}
	}
	if err := c.compile(); err != nil {
		return nil, err
	}
	return c, nil
}

// posteriorEnergy is E(z | x) = lambda E_alpha(z) - log p_beta(x|z), [N], extra = (data..., lambda).
func (c *Core) posteriorEnergy(z *graph.Node, extra []*graph.Node) *graph.Node {
	n := c.Family.NumData()
	return graph.Sub(graph.Mul(c.Prior.Energy(z), extra[n]), c.Family.Likelihood(extra[:n])(z))
}

func (c *Core) compile() error {
	var err error
	if c.priorChain, c.postChain, err = sampler.NewChains(c.Backend, c.Ctx, c.Prior.Energy, c.posteriorEnergy); err != nil {
		return err
	}
	if c.priorEval, err = prior.NewEvaluator(c.Backend, c.Ctx, c.Prior); err != nil {
		return err
	}
	n := c.Family.NumData()
	if c.logpx, err = model.NewExec(c.Backend, c.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) *graph.Node {
		return c.Family.Likelihood(in[1 : 1+n])(in[0])
	}); err != nil {
		return err
	}
	c.logpx.SetMaxCache(64)
	if c.energy, err = model.NewExec(c.Backend, c.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) *graph.Node {
		return c.posteriorEnergy(in[0], in[1:])
	}); err != nil {
		return err
	}
	c.energy.SetMaxCache(64)
	if c.Synth != nil {
		if c.synth, err = model.NewExec(c.Backend, c.Ctx.Store(), func(_ *model.Scope, eps *graph.Node) *graph.Node {
			return c.Synth.Sample(eps)
		}); err != nil {
			return err
		}
	}
	cfg := c.Config
	parts := Parts{Prior: c.Prior, PriorOpt: c.priorOpt, Gen: c.Family, GenOpt: c.genOpt, Synth: c.Synth, SynthOpt: c.synthOpt,
		ZDim: cfg.ZDim, K0: cfg.K0, K1: cfg.PosteriorGraphSteps(), FreeBits: cfg.FreeBits, RateAgainstF: cfg.RateAgainst() == RateModel,
		HostNoise: c.HostNoise}
	if cd, ok := c.Family.(ChainDataFamily); ok {
		parts.ChainData = cd.SeparateChainData()
	}
	if a, ok := c.Family.(AuxiliaryFamily); ok {
		parts.Aux = a.Auxiliary()
	}
	switch cfg.PosteriorStart() {
	case InitPersistent:
		parts.PosteriorStart = StartGiven
	case InitEncoder:
		parts.PosteriorStart, parts.Encoder, parts.EncOpt = StartEncoder, c.Enc, c.encOpt
	default:
		parts.PosteriorStart = StartNoise
	}
	c.iteration, err = NewIteration(c.Backend, c.Ctx.Store(), parts, n)
	return err
}

// PriorSampler says how SamplePrior draws z with k steps of size s, for reports: the prior chain's start
// (N(0, I) or the synthesis network), length and step, or exact N(0, I) draws for the gaussian prior (its
// Langevin target, so no chain is run).
func (c *Core) PriorSampler(k int, s float64) string {
	switch {
	case !c.Prior.Trainable():
		return "exact N(0, I) draws (gaussian prior)"
	case c.Synth != nil && k == 0:
		return "draws of the synthesis network q_psi (no prior chain)"
	case c.Synth != nil:
		return fmt.Sprintf("prior Langevin chain from the synthesis network q_psi, K0 = %d steps of s0 = %g", k, s)
	}
	return fmt.Sprintf("prior Langevin chain from N(0, I), K0 = %d steps of s0 = %g", k, s)
}

// Iterate runs one compiled learning iteration (see Iteration).
func (c *Core) Iterate(in Inputs) (*Outputs, error) { return c.iteration.Run(in) }

// Legacy says how to read this model's variables from a checkpoint written on GoMLX v0.26.0.
func (c *Core) Legacy() ckpt.Legacy { return optim.Legacy(c.genOpt, c.priorOpt, c.encOpt, c.synthOpt) }

// SamplePrior runs the prior chain for k steps on n chains, from N(0, I) or, with the synthesis network,
// from draws of q_psi; the step size goes from s to Config.S0End (constant when that is 0). For the
// gaussian prior it returns exact N(0, I) draws. iteration is used in error reports. z is flat [n*d].
func (c *Core) SamplePrior(n, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	d := c.Config.ZDim
	z0 := sampler.StandardNormal(rng, n*d)
	if !c.Prior.Trainable() {
		return z0, nil
	}
	if c.Synth != nil {
		out, err := c.synth.Exec(tensors.FromFlatDataAndDimensions(z0, n, d))
		if err != nil {
			return nil, err
		}
		z0 = tensors.MustCopyFlatData[float32](out[0])
	}
	res, err := c.priorChain.Run(z0, n, d, k, StepSchedule(s, c.Config.S0End), rng, iteration)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// InferPosterior runs n posterior chains for the batch whose graph inputs are data, from z0 (nil:
// N(0, I)) for k steps whose size goes from s to Config.S1End (constant when that is 0), with prior weight
// lambda (1: the model's posterior). z is flat [n*d].
func (c *Core) InferPosterior(data []any, n int, z0 []float32, k int, s, lambda float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if z0 == nil {
		z0 = sampler.StandardNormal(rng, n*c.Config.ZDim)
	}
	res, err := c.postChain.Run(z0, n, c.Config.ZDim, k, StepSchedule(s, c.Config.S1End), rng, iteration, append(append([]any{}, data...), float32(lambda))...)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// LogPX returns log p_beta(x_i|z_i) per row of the batch whose graph inputs are data, for z flat [n*d].
func (c *Core) LogPX(data []any, z []float32, n int) ([]float32, error) {
	out, err := c.logpx.Exec(append([]any{tensors.FromFlatDataAndDimensions(z, n, c.Config.ZDim)}, data...)...)
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// Energy returns the posterior energy E(z|x) = -f_alpha(z) + ||z||^2/2 - log p_beta(x|z) (the negative
// unnormalised log joint -log p(x, z), up to constants) per row, for z flat [n*d].
func (c *Core) Energy(data []any, z []float32, n int) ([]float32, error) {
	args := append(append([]any{tensors.FromFlatDataAndDimensions(z, n, c.Config.ZDim)}, data...), float32(1))
	out, err := c.energy.Exec(args...)
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// F returns f_alpha(z) for z flat [n*d].
func (c *Core) F(z []float32, n int) ([]float32, error) { return c.priorEval.F(z, n) }

// EstimateLogZ estimates log Z(alpha) with mz samples (exact 0 for the gaussian prior).
func (c *Core) EstimateLogZ(mz int, rng *rand.Rand) (prior.LogZ, error) {
	return c.priorEval.EstimateLogZ(mz, rng)
}

// NumParameters counts the trainable parameters of every part.
func (c *Core) NumParameters() int {
	vars := append(c.Family.GeneratorVariables(), c.Prior.Variables()...)
	if c.Enc != nil {
		vars = append(vars, c.Enc.EncoderVariables()...)
	}
	if c.Synth != nil {
		vars = append(vars, c.Synth.Variables()...)
	}
	n := 0
	for _, v := range vars {
		n += v.Shape().Size()
	}
	return n
}

// Chains describes where the chains start and their lengths and step sizes (for a model's String).
func (c *Core) Chains() string {
	cfg := c.Config
	post := fmt.Sprintf("posterior chain from %s (K1 %d, s1 %g)", cfg.PosteriorStart(), cfg.K1, cfg.S1)
	if !c.Prior.Trainable() {
		return post + ", no prior chain (exact N(0, I) draws)"
	}
	return post + fmt.Sprintf(", prior chain from %s (K0 %d, s0 %g)", cfg.PriorStart(), cfg.K0, cfg.S0)
}
