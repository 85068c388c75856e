package text

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
)

// Model is a latent-prior text model: the LSTM decoder p_beta(x|z) (and the inference network q_phi(z|x)
// when there is one) on the shared core (learn.Core: the prior, the chains, the optimizers, the compiled
// learning iteration).
type Model struct {
	Config  Config
	Vocab   *corpora.Vocab
	Decoder *Decoder
	Encoder *Encoder // inference network q_phi(z|x), nil unless PosteriorInit = "encoder"
	BoW     *BoW     // the bag-of-words training loss's head, nil unless BoWWeight > 0
	*learn.Core

	encode      *model.Exec // (targets, mask, eps) -> (z, mu, logVar)
	decodeSteps *stepper
}

// NewModel creates a model with freshly initialised variables (seeded by cfg.Seed).
func NewModel(backend compute.Backend, cfg Config, vocab *corpora.Vocab) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.ModelMemory(vocab.Size()).Check(); err != nil {
		return nil, err
	}
	scope := model.NewStore().RootScope()
	m := &Model{Config: cfg, Vocab: vocab}
	m.Decoder = NewDecoder(scope, rand.New(rand.NewPCG(cfg.Seed, learn.GeneratorInitStream)), vocab.Size(), cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim)
	if cfg.BoWWeight > 0 {
		m.BoW = NewBoW(scope, cfg.Seed, vocab.Size(), cfg.ZDim, cfg.BoWWeight)
	}
	var enc learn.Encoding
	if cfg.HasEncoder() {
		m.Encoder = NewEncoder(scope, rand.New(rand.NewPCG(cfg.Seed, learn.EncoderInitStream)), vocab.Size(), cfg.EmbedDim, cfg.EncoderSize(), cfg.ZDim)
		enc = encoder{m.Encoder}
	}
	var err error
	if m.Core, err = learn.NewCore(backend, scope, &m.Config.Config, family{m.Decoder, m.BoW, cfg.WordDropout > 0}, enc); err != nil {
		return nil, err
	}
	if m.Encoder != nil {
		if m.encode, err = model.NewExec(backend, scope.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
			mu, lv := m.Encoder.Encode(in[0], in[1])
			return []*graph.Node{prior.Reparameterize(mu, lv, in[2]), mu, lv}
		}); err != nil {
			return nil, err
		}
		m.encode.SetMaxCache(64)
	}
	return m, nil
}

// family is the decoder as the core's generator family: a batch is (inputs, targets, mask) [B, T] (int32,
// int32, float32); the input projections W_x e_t are computed once per graph, for the chain and the
// update alike. With word dropout the training batches carry the undropped sentence for the posterior
// chain (learn.ChainDataFamily). The bag-of-words head, when there is one, is the family's auxiliary loss
// (learn.AuxiliaryFamily) and is trained with the decoder.
type family struct {
	d       *Decoder
	bow     *BoW
	dropout bool
}

func (f family) Auxiliary() learn.Auxiliary {
	if f.bow == nil {
		return nil
	}
	return f.bow.auxiliary()
}

func (f family) SeparateChainData() bool { return f.dropout }

func (f family) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	chain, _ := f.Likelihoods(data)
	return chain
}

// Likelihoods are the decoder's log p_beta(x|z) for the chains and for the losses (learn.FitGenerator):
// one input projection (fitting: its backward pass only runs in the updates) for a plain decoder and a
// fitting one (Decoder.Fitting).
func (f family) Likelihoods(data []*graph.Node) (chain, fit func(z *graph.Node) *graph.Node) {
	fitting := f.d.Fitting()
	proj := fitting.InputProjections(data[0])
	return func(z *graph.Node) *graph.Node { return f.d.LogPXProjected(z, proj, data[1], data[2]) },
		func(z *graph.Node) *graph.Node { return fitting.LogPXProjected(z, proj, data[1], data[2]) }
}
func (f family) GeneratorVariables() []*model.Variable {
	if f.bow == nil {
		return f.d.Variables()
	}
	return append(f.d.Variables(), f.bow.Variables()...)
}
func (f family) NumData() int { return 3 }

// encoder is the inference network as the core's: data = (inputs, targets, mask).
type encoder struct{ e *Encoder }

func (e encoder) Encode(data []*graph.Node) (mu, logVar *graph.Node) {
	return e.e.Encode(data[1], data[2])
}
func (e encoder) EncoderVariables() []*model.Variable { return e.e.Variables() }

// batchArgs are a batch's graph inputs: inputs, targets [B, T] int32 and mask [B, T] float32.
func batchArgs(b *corpora.Batch) []any {
	return []any{
		tensors.FromFlatDataAndDimensions(b.Inputs, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Targets, b.Size, b.Len),
		tensors.FromFlatDataAndDimensions(b.Mask, b.Size, b.Len),
	}
}

// EncodeStart returns draws z = mu(x) + sigma(x) eps of the inference network for the batch's rows, with
// mu and logVar, all flat [B*d]. It needs the encoder.
func (m *Model) EncodeStart(b *corpora.Batch, eps []float32) (z, mu, logVar []float32, err error) {
	return m.encodeData(batchArgs(b), eps, b.Size)
}

// encodeData is EncodeStart for a batch of rows given as its graph inputs (batchArgs).
func (m *Model) encodeData(data []any, eps []float32, rows int) (z, mu, logVar []float32, err error) {
	if m.Encoder == nil {
		return nil, nil, nil, fmt.Errorf("the model has no inference network (posterior init %q)", m.Config.PosteriorStart())
	}
	out, err := m.encode.Exec(data[1], data[2], tensors.FromFlatDataAndDimensions(eps, rows, m.Config.ZDim))
	if err != nil {
		return nil, nil, nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2]), nil
}

// InferPosterior runs the posterior chain for batch b from z0 (nil: N(0, I)) for k steps whose size goes
// from s to Config.S1End (constant when that is 0), with prior weight lambda (1: the model's posterior).
func (m *Model) InferPosterior(b *corpora.Batch, z0 []float32, k int, s, lambda float64, rng *rand.Rand, iteration int) ([]float32, error) {
	return m.Core.InferPosterior(batchArgs(b), b.Size, z0, k, s, lambda, rng, iteration)
}

// LogPX returns log p_beta(x|z) per row of b for z flat [B*d].
func (m *Model) LogPX(b *corpora.Batch, z []float32) ([]float32, error) {
	return m.Core.LogPX(batchArgs(b), z, b.Size)
}

func (m *Model) String() string {
	c := m.Config
	return fmt.Sprintf("text model: vocab %d, embedding %d, hidden %d, z %d, prior %s (width %d), %d parameters; %s",
		m.Vocab.Size(), c.EmbedDim, c.HiddenDim, c.ZDim, c.Prior, c.EBMWidth, m.NumParameters(), m.Chains())
}
