package image

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/learn"
)

// Model is a latent-prior image model: the generator p_beta(x|z) on the shared core (learn.Core: the
// prior, the chains, the optimizers, the compiled learning iteration).
type Model struct {
	Config    Config
	Generator *Generator
	*learn.Core

	generate *model.Exec
}

// NewModel creates a model with freshly initialised variables (seeded by cfg.Seed).
func NewModel(backend compute.Backend, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.ModelMemory().Check(); err != nil {
		return nil, err
	}
	layers, _ := cfg.Layers()
	scope := model.NewStore().RootScope()
	m := &Model{Config: cfg}
	m.Generator = NewGenerator(scope, rand.New(rand.NewPCG(cfg.Seed, learn.GeneratorInitStream)), layers, cfg.ZDim)
	var err error
	if m.Core, err = learn.NewCore(backend, scope, &m.Config.Config, family{m}, nil); err != nil {
		return nil, err
	}
	if m.generate, err = model.NewExec(backend, scope.Store(), func(_ *model.Scope, z *graph.Node) *graph.Node {
		return m.Generator.Generate(z)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// family is the generator as the core's generator family: a batch is x [N, H, W, C] float32 in [-1, 1],
// log p_beta(x|z) = -||x - g(z)||^2 / (2 sigma^2) (constant left out).
type family struct{ m *Model }

func (f family) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	return func(z *graph.Node) *graph.Node { return f.m.Generator.LogPX(z, data[0], f.m.Config.Sigma) }
}
func (f family) GeneratorVariables() []*model.Variable { return f.m.Generator.Variables() }
func (f family) NumData() int                          { return 1 }

func (m *Model) images(x []float32, n int) *tensors.Tensor {
	c := m.Config
	return tensors.FromFlatDataAndDimensions(x, n, c.Height, c.Width, c.Channels)
}

// InferPosterior runs the posterior chain for images x (flat [n*H*W*C] in [-1, 1]) from z0 (nil: N(0, I))
// for k steps of size s (to Config.S1End when set).
func (m *Model) InferPosterior(x []float32, n int, z0 []float32, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if len(x) != n*m.Config.Pixels() {
		return nil, fmt.Errorf("posterior: %d pixel values for %d images of %d", len(x), n, m.Config.Pixels())
	}
	return m.Core.InferPosterior([]any{m.images(x, n)}, n, z0, k, s, 1, rng, iteration)
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
	return m.Core.LogPX([]any{m.images(x, n)}, z, n)
}

// Energy returns the posterior energy E(z|x) = -f_alpha(z) + ||z||^2/2 - log p_beta(x|z) (the negative
// unnormalised log joint -log p(x, z), constants left out) per image.
func (m *Model) Energy(x, z []float32, n int) ([]float32, error) {
	return m.Core.Energy([]any{m.images(x, n)}, z, n)
}

func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("image model (%s layout): %dx%dx%d images, ngf %d, z %d, prior %s (nef %d), sigma %g, %d parameters; %s",
		c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim, c.Prior, c.EBMWidth, c.Sigma, m.NumParameters(), m.Chains())
}
