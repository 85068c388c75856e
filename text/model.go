package text

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/compute"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Model is a latent-prior text model: the prior p_alpha(z), the LSTM decoder p_beta(x|z), their
// optimizers, and the compiled graphs that use them.
type Model struct {
	Config  Config
	Vocab   *corpora.Vocab
	Backend backends.Backend
	Ctx     *context.Context
	Prior   *prior.Prior
	Decoder *Decoder

	genOpt, priorOpt *optim.Adam
	priorChain       *sampler.Langevin
	postChain        *sampler.Langevin
	update           *context.Exec
	logpx            *context.Exec
	project          *context.Exec
	priorEval        *prior.Evaluator
	decodeSteps      *stepper
}

// NewModel creates a model with freshly initialised variables (seeded by cfg.Seed).
func NewModel(backend backends.Backend, cfg Config, vocab *corpora.Vocab) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	compute.Register()
	ctx := context.New()
	// Separate streams for the prior's and the decoder's initial values: with the same seed, an EBM-prior
	// model and its gaussian-prior ablation start from the same decoder.
	priorRNG := rand.New(rand.NewPCG(cfg.Seed, 0x1417))
	decoderRNG := rand.New(rand.NewPCG(cfg.Seed, 0x1418))
	m := &Model{Config: cfg, Vocab: vocab, Backend: backend, Ctx: ctx}
	var err error
	if m.Prior, err = prior.New(ctx, cfg.Prior, cfg.ZDim, cfg.EBMWidth, priorRNG); err != nil {
		return nil, err
	}
	m.Decoder = NewDecoder(ctx, decoderRNG, vocab.Size(), cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim)
	m.genOpt = optim.NewAdam(ctx, "generator", m.Decoder.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, cfg.GenClip)
	m.priorOpt = optim.NewAdam(ctx, "prior", m.Prior.Variables(), cfg.LRPrior, cfg.Beta1, cfg.Beta2, 0)
	if err := m.compile(); err != nil {
		return nil, err
	}
	return m, nil
}

// PosteriorEnergy is E(z | x) = -f_alpha(z) + ||z||^2/2 - log p_beta(x|z), [N], with extra = (input
// projections [N, T, 4H], targets, mask) of the batch.
func (m *Model) PosteriorEnergy(z *graph.Node, extra []*graph.Node) *graph.Node {
	return graph.Sub(m.Prior.Energy(z), m.Decoder.LogPXProjected(z, extra[0], extra[1], extra[2]))
}

func (m *Model) compile() error {
	var err error
	if m.priorChain, err = sampler.New(m.Backend, m.Ctx, "prior", func(_ *context.Context, z *graph.Node, _ []*graph.Node) *graph.Node {
		return m.Prior.Energy(z)
	}); err != nil {
		return err
	}
	if m.postChain, err = sampler.New(m.Backend, m.Ctx, "posterior", func(_ *context.Context, z *graph.Node, extra []*graph.Node) *graph.Node {
		return m.PosteriorEnergy(z, extra)
	}); err != nil {
		return err
	}
	if m.priorEval, err = prior.NewEvaluator(m.Backend, m.Ctx, m.Prior); err != nil {
		return err
	}
	if m.logpx, err = context.NewExec(m.Backend, m.Ctx.Reuse(), func(_ *context.Context, in []*graph.Node) *graph.Node {
		return m.Decoder.LogPXProjected(in[0], in[1], in[2], in[3])
	}); err != nil {
		return err
	}
	m.logpx.SetMaxCache(64)
	if m.project, err = context.NewExec(m.Backend, m.Ctx.Reuse(), func(_ *context.Context, inputs *graph.Node) *graph.Node {
		return m.Decoder.InputProjections(inputs)
	}); err != nil {
		return err
	}
	m.project.SetMaxCache(64)
	// The learning iteration's parameter updates (steps 3 and 4 of DESIGN.md), given both chains' ends:
	//   generator: minimise -mean_i log p_beta(x_i | z_post_i)
	//   prior:     minimise mean_i f(z_prior_i) - mean_i f(z_post_i)
	if m.update, err = context.NewExec(m.Backend, m.Ctx.Reuse(), func(_ *context.Context, in []*graph.Node) []*graph.Node {
		inputs, targets, mask, zPost, zPrior := in[0], in[1], in[2], in[3], in[4]
		logp := m.Decoder.LogPX(zPost, inputs, targets, mask)
		genLoss := graph.Neg(graph.ReduceAllMean(logp))
		fPost := graph.ReduceAllMean(m.Prior.F(zPost))
		fPrior := graph.ReduceAllMean(m.Prior.F(zPrior))
		priorLoss := graph.Sub(fPrior, fPost)
		genNorm := m.genOpt.Minimize(genLoss)
		priorNorm := m.priorOpt.Minimize(priorLoss)
		return []*graph.Node{graph.ReduceAllSum(logp), priorLoss, fPost, fPrior, genNorm, priorNorm}
	}); err != nil {
		return err
	}
	m.update.SetMaxCache(64)
	return nil
}

// batchArgs are a batch's graph inputs: inputs, targets [B, T] int32 and mask [B, T] float32.
func batchArgs(b *corpora.Batch) []any {
	return []any{
		tensors.FromFlatDataAndDimensions(b.Inputs, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Targets, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Mask, b.Size, b.Len),
	}
}

// prepared is a batch laid out for the posterior chain and LogPX: its input projections W_x e_t
// (computed once: they do not depend on z), targets and mask.
type prepared struct {
	size int
	args []any
}

func (m *Model) prepare(b *corpora.Batch) (*prepared, error) {
	out, err := m.project.Exec(tensors.FromFlatDataAndDimensions(b.Inputs, b.Size, b.Len))
	if err != nil {
		return nil, err
	}
	return &prepared{size: b.Size, args: []any{out[0],
		tensors.FromFlatDataAndDimensions(b.Targets, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Mask, b.Size, b.Len)}}, nil
}

// SamplePrior runs the prior chain from N(0, I) for k steps of size s on n chains (for the gaussian
// prior it returns exact N(0, I) draws). iteration is used in error reports.
func (m *Model) SamplePrior(n, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	z0 := sampler.StandardNormal(rng, n*m.Config.ZDim)
	if !m.Prior.Trainable() {
		return z0, nil
	}
	res, err := m.priorChain.Run(z0, n, m.Config.ZDim, k, sampler.Constant(s), rng, iteration)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// InferPosterior runs the posterior chain for batch b from z0 (nil: N(0, I)) for k steps of size s.
func (m *Model) InferPosterior(b *corpora.Batch, z0 []float32, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	p, err := m.prepare(b)
	if err != nil {
		return nil, err
	}
	return m.inferPrepared(p, z0, k, s, rng, iteration)
}

func (m *Model) inferPrepared(p *prepared, z0 []float32, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if z0 == nil {
		z0 = sampler.StandardNormal(rng, p.size*m.Config.ZDim)
	}
	res, err := m.postChain.Run(z0, p.size, m.Config.ZDim, k, sampler.Constant(s), rng, iteration, p.args...)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// LogPX returns log p_beta(x|z) per row of b for z flat [B*d].
func (m *Model) LogPX(b *corpora.Batch, z []float32) ([]float32, error) {
	p, err := m.prepare(b)
	if err != nil {
		return nil, err
	}
	return m.logPXPrepared(p, z)
}

func (m *Model) logPXPrepared(p *prepared, z []float32) ([]float32, error) {
	args := append([]any{tensors.FromFlatDataAndDimensions(z, p.size, m.Config.ZDim)}, p.args...)
	out, err := m.logpx.Exec(args...)
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// F returns f_alpha(z) for z flat [n*d].
func (m *Model) F(z []float32, n int) ([]float32, error) { return m.priorEval.F(z, n) }

// EstimateLogZ estimates log Z(alpha) with mz samples (exact 0 for the gaussian prior).
func (m *Model) EstimateLogZ(mz int, rng *rand.Rand) (prior.LogZ, error) {
	return m.priorEval.EstimateLogZ(mz, rng)
}

// UpdateStats are the outputs of one parameter update.
type UpdateStats struct {
	SumLogP   float64 // sum over the batch of log p_beta(x|z_post)
	PriorLoss float64 // mean f(z_prior) - mean f(z_post)
	FPost     float64
	FPrior    float64
	GenNorm   float64 // generator gradient norm before clipping
	PriorNorm float64
}

// Update applies both Adam updates for batch b given the chains' end points.
func (m *Model) Update(b *corpora.Batch, zPost, zPrior []float32) (UpdateStats, error) {
	d := m.Config.ZDim
	args := append(batchArgs(b), tensors.FromFlatDataAndDimensions(zPost, b.Size, d), tensors.FromFlatDataAndDimensions(zPrior, len(zPrior)/d, d))
	out, err := m.update.Exec(args...)
	if err != nil {
		return UpdateStats{}, err
	}
	f := func(i int) float64 { return float64(tensors.MustCopyFlatData[float32](out[i])[0]) }
	return UpdateStats{SumLogP: f(0), PriorLoss: f(1), FPost: f(2), FPrior: f(3), GenNorm: f(4), PriorNorm: f(5)}, nil
}

// NumParameters counts the model's trainable parameters (decoder and prior).
func (m *Model) NumParameters() int {
	n := 0
	for _, v := range append(m.Decoder.Variables(), m.Prior.Variables()...) {
		n += v.Shape().Size()
	}
	return n
}

func (m *Model) String() string {
	return fmt.Sprintf("text model: vocab %d, embedding %d, hidden %d, z %d, prior %s (width %d), %d parameters",
		m.Vocab.Size(), m.Config.EmbedDim, m.Config.HiddenDim, m.Config.ZDim, m.Config.Prior, m.Config.EBMWidth, m.NumParameters())
}
