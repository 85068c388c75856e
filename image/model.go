package image

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Model is a latent-prior image model: the prior p_alpha(z) (package prior), the generator p_beta(x|z),
// their optimizers, and the compiled graphs that use them. The chains are the shared sampler's.
type Model struct {
	Config    Config
	Backend   compute.Backend
	Ctx       *model.Scope
	Prior     *prior.Prior
	Generator *Generator

	genOpt, priorOpt *optim.Adam
	priorChain       *sampler.Langevin
	postChain        *sampler.Langevin
	priorEval        *prior.Evaluator
	iteration        *learn.Iteration
	generate         *model.Exec
	logpx            *model.Exec
	energy           *model.Exec // (z, x) -> PosteriorEnergy
}

// NewModel creates a model with freshly initialised variables (seeded by cfg.Seed; the prior and the
// generator draw from separate streams, so an EBM-prior model and its gaussian ablation share their
// initial generator).
func NewModel(backend compute.Backend, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	layers, _ := cfg.Layers()
	scope := model.NewStore().RootScope()
	m := &Model{Config: cfg, Backend: backend, Ctx: scope}
	var err error
	if m.Prior, err = prior.New(scope, cfg.Prior, cfg.ZDim, cfg.EBMWidth, rand.New(rand.NewPCG(cfg.Seed, 0x1417))); err != nil {
		return nil, err
	}
	m.Generator = NewGenerator(scope, rand.New(rand.NewPCG(cfg.Seed, 0x1418)), layers, cfg.ZDim)
	if m.genOpt, err = optim.NewAdam(scope.Store(), "generator", m.Generator.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, 0); err != nil {
		return nil, err
	}
	if m.priorOpt, err = optim.NewAdam(scope.Store(), "prior", m.Prior.Variables(), cfg.LRPrior, cfg.Beta1, cfg.Beta2, 0); err != nil {
		return nil, err
	}
	if err := m.compile(); err != nil {
		return nil, err
	}
	return m, nil
}

// PosteriorEnergy is E(z | x) = -f_alpha(z) + ||z||^2/2 + ||x - g(z)||^2 / (2 sigma^2), [N], extra = (x).
func (m *Model) PosteriorEnergy(z *graph.Node, extra []*graph.Node) *graph.Node {
	return graph.Sub(m.Prior.Energy(z), m.Generator.LogPX(z, extra[0], m.Config.Sigma))
}

func (m *Model) compile() error {
	var err error
	if m.priorChain, m.postChain, err = sampler.NewChains(m.Backend, m.Ctx, m.Prior.Energy, m.PosteriorEnergy); err != nil {
		return err
	}
	if m.priorEval, err = prior.NewEvaluator(m.Backend, m.Ctx, m.Prior); err != nil {
		return err
	}
	if m.generate, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, z *graph.Node) *graph.Node {
		return m.Generator.Generate(z)
	}); err != nil {
		return err
	}
	if m.logpx, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, z, x *graph.Node) *graph.Node {
		return m.Generator.LogPX(z, x, m.Config.Sigma)
	}); err != nil {
		return err
	}
	if m.energy, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, z, x *graph.Node) *graph.Node {
		return m.PosteriorEnergy(z, []*graph.Node{x})
	}); err != nil {
		return err
	}
	m.iteration, err = learn.NewIteration(m.Backend, m.Ctx.Store(), learn.Parts{Prior: m.Prior, PriorOpt: m.priorOpt,
		Gen: likelihood{m}, GenOpt: m.genOpt, ZDim: m.Config.ZDim, K0: m.Config.K0, K1: m.Config.K1,
		PosteriorStart: learn.StartNoise}, 1)
	return err
}

// likelihood is the generator as the learning iteration's: data = (x [N, H, W, C]).
type likelihood struct{ m *Model }

func (l likelihood) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	return func(z *graph.Node) *graph.Node { return l.m.Generator.LogPX(z, data[0], l.m.Config.Sigma) }
}

func (m *Model) images(x []float32, n int) *tensors.Tensor {
	c := m.Config
	return tensors.FromFlatDataAndDimensions(x, n, c.Height, c.Width, c.Channels)
}

// SamplePrior runs the prior chain for k steps of size s on n chains from N(0, I); for the gaussian prior
// it returns exact N(0, I) draws. iteration is used in error reports. z is flat [n*d].
func (m *Model) SamplePrior(n, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	d := m.Config.ZDim
	z0 := sampler.StandardNormal(rng, n*d)
	if !m.Prior.Trainable() || k == 0 {
		return z0, nil
	}
	res, err := m.priorChain.Run(z0, n, d, k, sampler.Constant(s), rng, iteration)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// InferPosterior runs the posterior chain for images x (flat [n*H*W*C] in [-1, 1]) from z0 (nil: N(0, I))
// for k steps of size s.
func (m *Model) InferPosterior(x []float32, n int, z0 []float32, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if len(x) != n*m.Config.Pixels() {
		return nil, fmt.Errorf("posterior: %d pixel values for %d images of %d", len(x), n, m.Config.Pixels())
	}
	if z0 == nil {
		z0 = sampler.StandardNormal(rng, n*m.Config.ZDim)
	}
	res, err := m.postChain.Run(z0, n, m.Config.ZDim, k, sampler.Constant(s), rng, iteration, m.images(x, n))
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// Generate returns g(z) for z flat [n*d]: images flat [n*H*W*C] in [-1, 1].
func (m *Model) Generate(z []float32, n int) ([]float32, error) {
	out, err := m.generate.Exec(tensors.FromFlatDataAndDimensions(z, n, m.Config.ZDim))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// LogPX returns log p_beta(x|z) (constant left out) per image.
func (m *Model) LogPX(x, z []float32, n int) ([]float32, error) {
	out, err := m.logpx.Exec(tensors.FromFlatDataAndDimensions(z, n, m.Config.ZDim), m.images(x, n))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// Energy returns the posterior energy E(z|x) = -f_alpha(z) + ||z||^2/2 - log p_beta(x|z) (the negative
// unnormalised log joint -log p(x, z), constants left out) per image.
func (m *Model) Energy(x, z []float32, n int) ([]float32, error) {
	out, err := m.energy.Exec(tensors.FromFlatDataAndDimensions(z, n, m.Config.ZDim), m.images(x, n))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// F returns f_alpha(z) for z flat [n*d].
func (m *Model) F(z []float32, n int) ([]float32, error) { return m.priorEval.F(z, n) }

// NumParameters counts the trainable parameters (generator and prior).
func (m *Model) NumParameters() int {
	n := 0
	for _, v := range append(m.Generator.Variables(), m.Prior.Variables()...) {
		n += v.Shape().Size()
	}
	return n
}

func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("image model (%s layout): %dx%dx%d images, ngf %d, z %d, prior %s (nef %d), sigma %g, %d parameters; "+
		"posterior chain K1 %d s1 %g, prior chain K0 %d s0 %g", c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim,
		c.Prior, c.EBMWidth, c.Sigma, m.NumParameters(), c.K1, c.S1, c.K0, c.S0)
}
