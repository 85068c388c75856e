package text

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/nn"
	"github.com/lebm/lebm/learn"
)

// BoWScope is where the bag-of-words head's variables live, under the decoder's scope (the generator's
// optimizer trains every variable there).
const BoWScope = "bow"

// bowInitStream is the PCG stream of the head's initialisation (apart from the decoder's and the core's,
// so that adding the head changes no other variable's initial value).
const bowInitStream = 0x1420

// BoW is the bag-of-words loss of Zhao, Zhao and Eskenazi (2017, "Learning discourse-level diversity for
// neural dialog models using conditional variational autoencoders"): a softmax over the vocabulary
// predicts, from z alone and without order, every word of the sentence:
//
//	p_bow(w | z) = softmax(z W + b)_w,   z [d] a row, W [d, V], b [V],
//	loss_i = weight * -sum_t mask_it [y_it != </s>] log p_bow(y_it | z_i).
//
// An autoregressive decoder reads most of a sentence from its prefix, so what z is worth to it is what the
// prefix cannot tell (the length, the first word); the bag of words can be predicted from z only, so the
// loss makes z carry the sentence's content words, hence its topic. It is a training loss only
// (learn.Auxiliary: the generator's and the encoder's updates); log p_beta(x|z), the posterior chain and
// every evaluation are those of the LSTM decoder alone. The head is trained with the decoder's optimizer,
// so its gradient counts in the generator's gradient norm (the logged gen_grad_norm and the clip), and its
// d(V + 1) parameters in the model's parameter count.
type BoW struct {
	Weight float64
	w, b   *model.Variable
}

// NewBoW creates the head's variables in scope.At(DecoderScope).At(BoWScope): W Unif(-0.1, 0.1) like the decoder's, b 0.
func NewBoW(scope *model.Scope, seed uint64, vocab, zDim int, weight float64) *BoW {
	c := scope.At(DecoderScope).At(BoWScope)
	rng := rand.New(rand.NewPCG(seed, bowInitStream))
	return &BoW{Weight: weight, w: nn.NewVariable(c, rng, "w", nn.Uniform(DecoderInitScale), zDim, vocab), b: nn.NewVariable(c, rng, "b", nn.Zeros, vocab)}
}

// Variables are the head's W and b.
func (h *BoW) Variables() []*model.Variable { return []*model.Variable{h.w, h.b} }

// Loss is loss_i [N] for z [N, d], targets [N, T] (int32) and mask [N, T] (float32).
func (h *BoW) Loss(z, targets, mask *graph.Node) *graph.Node {
	g := z.Graph()
	logp := graph.LogSoftmax(nn.Linear(z, h.w, h.b), -1) // [N, V]
	rows := graph.Iota(g, targets.Shape(), 0)            // [N, T]: each position's row
	idx := graph.Stack([]*graph.Node{rows, targets}, -1) // [N, T, 2]: (row, word)
	word := graph.ConvertDType(graph.NotEqual(targets, graph.Const(g, int32(corpora.EosID))), mask.DType())
	lp := graph.Mul(graph.Gather(logp, idx), graph.Mul(mask, word)) // [N, T]
	return graph.MulScalar(graph.Neg(graph.ReduceSum(lp, 1)), h.Weight)
}

// auxiliary is the loss as the core's: data = (inputs, targets, mask).
func (h *BoW) auxiliary() learn.Auxiliary {
	return func(data []*graph.Node) func(z *graph.Node) *graph.Node {
		return func(z *graph.Node) *graph.Node { return h.Loss(z, data[1], data[2]) }
	}
}
