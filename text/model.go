package text

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Model is a latent-prior text model: the prior p_alpha(z), the LSTM decoder p_beta(x|z), their
// optimizers, and the compiled graphs that use them.
type Model struct {
	Config  Config
	Vocab   *corpora.Vocab
	Backend compute.Backend
	Ctx     *model.Scope
	Prior   *prior.Prior
	Decoder *Decoder
	Encoder *Encoder         // inference network q_phi(z|x), nil unless PosteriorInit = "encoder"
	Synth   *prior.Synthesis // synthesis network q_psi(z), nil unless PriorInit = "synthesis"

	genOpt, priorOpt *optim.Adam
	encOpt, synthOpt *optim.Adam
	encode           *model.Exec // (targets, mask, eps) -> (z, mu, logVar)
	synth            *model.Exec // eps -> z
	priorChain       *sampler.Langevin
	postChain        *sampler.Langevin
	iteration        *learn.Iteration
	logpx            *model.Exec
	project          *model.Exec
	priorEval        *prior.Evaluator
	decodeSteps      *stepper
}

// NewModel creates a model with freshly initialised variables (seeded by cfg.Seed).
func NewModel(backend compute.Backend, cfg Config, vocab *corpora.Vocab) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scope := model.NewStore().RootScope()
	// Separate streams for the prior's and the decoder's initial values: with the same seed, an EBM-prior
	// model and its gaussian-prior ablation start from the same decoder.
	priorRNG := rand.New(rand.NewPCG(cfg.Seed, 0x1417))
	decoderRNG := rand.New(rand.NewPCG(cfg.Seed, 0x1418))
	m := &Model{Config: cfg, Vocab: vocab, Backend: backend, Ctx: scope}
	var err error
	if m.Prior, err = prior.New(scope, cfg.Prior, cfg.ZDim, cfg.EBMWidth, priorRNG); err != nil {
		return nil, err
	}
	m.Decoder = NewDecoder(scope, decoderRNG, vocab.Size(), cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim)
	if m.genOpt, err = optim.NewAdam(scope.Store(), "generator", m.Decoder.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, cfg.GenClip); err != nil {
		return nil, err
	}
	if m.priorOpt, err = optim.NewAdam(scope.Store(), "prior", m.Prior.Variables(), cfg.LRPrior, cfg.Beta1, cfg.Beta2, 0); err != nil {
		return nil, err
	}
	// The amortized networks have their own initialisation streams (adding them changes no other
	// variable's initial value) and learn at the generator's rate (the synthesis network must follow a
	// moving p_alpha).
	if cfg.HasEncoder() {
		m.Encoder = NewEncoder(scope, rand.New(rand.NewPCG(cfg.Seed, 0x1419)), vocab.Size(), cfg.EmbedDim, cfg.EncoderSize(), cfg.ZDim)
		if m.encOpt, err = optim.NewAdam(scope.Store(), "encoder", m.Encoder.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, cfg.GenClip); err != nil {
			return nil, err
		}
	}
	if cfg.HasSynthesis() {
		m.Synth = prior.NewSynthesis(scope, rand.New(rand.NewPCG(cfg.Seed, 0x141a)), cfg.ZDim)
		if m.synthOpt, err = optim.NewAdam(scope.Store(), "synthesis", m.Synth.Variables(), cfg.LRGen, cfg.Beta1, cfg.Beta2, 0); err != nil {
			return nil, err
		}
	}
	if err := m.compile(); err != nil {
		return nil, err
	}
	return m, nil
}

// PosteriorEnergy is E(z | x) = lambda (-f_alpha(z) + ||z||^2/2) - log p_beta(x|z), [N], with extra =
// (input projections [N, T, 4H], targets, mask, lambda scalar) of the batch. lambda = 1 is the model's
// posterior; lambda < 1 is the prior-weight warm-up (Config.PriorWeight).
func (m *Model) PosteriorEnergy(z *graph.Node, extra []*graph.Node) *graph.Node {
	return graph.Sub(graph.Mul(m.Prior.Energy(z), extra[3]), m.Decoder.LogPXProjected(z, extra[0], extra[1], extra[2]))
}

func (m *Model) compile() error {
	var err error
	if m.priorChain, m.postChain, err = sampler.NewChains(m.Backend, m.Ctx, m.Prior.Energy, m.PosteriorEnergy); err != nil {
		return err
	}
	if m.priorEval, err = prior.NewEvaluator(m.Backend, m.Ctx, m.Prior); err != nil {
		return err
	}
	if m.logpx, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) *graph.Node {
		return m.Decoder.LogPXProjected(in[0], in[1], in[2], in[3])
	}); err != nil {
		return err
	}
	m.logpx.SetMaxCache(64)
	if m.project, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, inputs *graph.Node) *graph.Node {
		return m.Decoder.InputProjections(inputs)
	}); err != nil {
		return err
	}
	m.project.SetMaxCache(64)
	if m.Encoder != nil {
		if m.encode, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
			mu, lv := m.Encoder.Encode(in[0], in[1])
			return []*graph.Node{prior.Reparameterize(mu, lv, in[2]), mu, lv}
		}); err != nil {
			return err
		}
		m.encode.SetMaxCache(64)
	}
	if m.Synth != nil {
		if m.synth, err = model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, eps *graph.Node) *graph.Node {
			return m.Synth.Sample(eps)
		}); err != nil {
			return err
		}
	}
	parts := learn.Parts{Prior: m.Prior, PriorOpt: m.priorOpt, Gen: likelihood{m.Decoder}, GenOpt: m.genOpt,
		Synth: m.Synth, SynthOpt: m.synthOpt, ZDim: m.Config.ZDim, K0: m.Config.K0, K1: m.Config.posteriorGraphSteps(),
		FreeBits: m.Config.FreeBits, RateAgainstF: m.Config.RateAgainst() == RateModel}
	switch m.Config.PosteriorStart() {
	case InitPersistent:
		parts.PosteriorStart = learn.StartGiven
	case InitEncoder:
		parts.PosteriorStart, parts.Encoder, parts.EncOpt = learn.StartEncoder, encoder{m.Encoder}, m.encOpt
	default:
		parts.PosteriorStart = learn.StartNoise
	}
	m.iteration, err = learn.NewIteration(m.Backend, m.Ctx.Store(), parts, 3)
	return err
}

// likelihood is the decoder as the learning iteration's generator: data = (inputs, targets, mask) of a
// batch; the input projections W_x e_t are computed once per graph.
type likelihood struct{ d *Decoder }

func (l likelihood) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	proj := l.d.InputProjections(data[0])
	return func(z *graph.Node) *graph.Node { return l.d.LogPXProjected(z, proj, data[1], data[2]) }
}

// encoder is the inference network as the learning iteration's: data = (inputs, targets, mask).
type encoder struct{ e *Encoder }

func (e encoder) Encode(data []*graph.Node) (mu, logVar *graph.Node) {
	return e.e.Encode(data[1], data[2])
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

// SamplePrior runs the prior chain for k steps on n chains, from N(0, I) or, with the synthesis network,
// from draws of q_psi; the step size goes from s to Config.S0End (constant when that is 0). For the
// gaussian prior it returns exact N(0, I) draws. iteration is used in error reports.
func (m *Model) SamplePrior(n, k int, s float64, rng *rand.Rand, iteration int) ([]float32, error) {
	d := m.Config.ZDim
	z0 := sampler.StandardNormal(rng, n*d)
	if !m.Prior.Trainable() {
		return z0, nil
	}
	if m.Synth != nil {
		out, err := m.synth.Exec(tensors.FromFlatDataAndDimensions(z0, n, d))
		if err != nil {
			return nil, err
		}
		z0 = tensors.MustCopyFlatData[float32](out[0])
	}
	res, err := m.priorChain.Run(z0, n, d, k, StepSchedule(s, m.Config.S0End), rng, iteration)
	if err != nil {
		return nil, err
	}
	return res.Z, nil
}

// EncodeStart returns draws z = mu(x) + sigma(x) eps of the inference network for the batch's rows, with
// mu and logVar, all flat [B*d]. It needs the encoder.
func (m *Model) EncodeStart(b *corpora.Batch, eps []float32) (z, mu, logVar []float32, err error) {
	if m.Encoder == nil {
		return nil, nil, nil, fmt.Errorf("the model has no inference network (posterior init %q)", m.Config.PosteriorStart())
	}
	out, err := m.encode.Exec(tensors.FromFlatDataAndDimensions(b.Targets, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Mask, b.Size, b.Len), tensors.FromFlatDataAndDimensions(eps, b.Size, m.Config.ZDim))
	if err != nil {
		return nil, nil, nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2]), nil
}

// InferPosterior runs the posterior chain for batch b from z0 (nil: N(0, I)) for k steps whose size goes
// from s to Config.S1End (constant when that is 0), with prior weight lambda (1: the model's posterior).
func (m *Model) InferPosterior(b *corpora.Batch, z0 []float32, k int, s, lambda float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if k == 0 { // no chain (e.g. the inference network replaces it): the batch need not be prepared
		if z0 == nil {
			return sampler.StandardNormal(rng, b.Size*m.Config.ZDim), nil
		}
		return append([]float32(nil), z0...), nil
	}
	p, err := m.prepare(b)
	if err != nil {
		return nil, err
	}
	return m.inferPrepared(p, z0, k, StepSchedule(s, m.Config.S1End), lambda, rng, iteration)
}

func (m *Model) inferPrepared(p *prepared, z0 []float32, k int, sched sampler.Schedule, lambda float64, rng *rand.Rand, iteration int) ([]float32, error) {
	if z0 == nil {
		z0 = sampler.StandardNormal(rng, p.size*m.Config.ZDim)
	}
	args := append(append([]any{}, p.args...), float32(lambda))
	res, err := m.postChain.Run(z0, p.size, m.Config.ZDim, k, sched, rng, iteration, args...)
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

// NumParameters counts the model's trainable parameters (decoder and prior).
func (m *Model) NumParameters() int {
	n := 0
	vars := append(m.Decoder.Variables(), m.Prior.Variables()...)
	if m.Encoder != nil {
		vars = append(vars, m.Encoder.Variables()...)
	}
	if m.Synth != nil {
		vars = append(vars, m.Synth.Variables()...)
	}
	for _, v := range vars {
		n += v.Shape().Size()
	}
	return n
}

func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("text model: vocab %d, embedding %d, hidden %d, z %d, prior %s (width %d), %d parameters; "+
		"posterior chain from %s (K1 %d, s1 %g), prior chain from %s (K0 %d, s0 %g)",
		m.Vocab.Size(), c.EmbedDim, c.HiddenDim, c.ZDim, c.Prior, c.EBMWidth, m.NumParameters(),
		c.PosteriorStart(), c.K1, c.S1, c.PriorStart(), c.K0, c.S0)
}
