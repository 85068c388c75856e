package text

import (
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	gnn "github.com/gomlx/gomlx/ml/nn"
	"github.com/lebm/lebm/internal/nn"
)

// DecoderInitScale: decoder parameters are initialised Unif(-0.1, 0.1) (DESIGN.md).
const DecoderInitScale = 0.1

// Decoder is the LSTM decoder of DESIGN.md. With e_t the embedding of input token t:
//
//	h_0 = tanh(W_h z + b_h), c_0 = 0
//	[i f g o] = W_x e_t + W_z z + U h_{t-1} + b          (the input is [e_t ; z], its weight split in two)
//	c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g);  h_t = sigmoid(o) tanh(c_t)
//	log p(x_{t+1} | x_{<=t}, z) = log_softmax(W_o h_t + b_o)[x_{t+1}]
//
// A decoder built by Fitting computes the same values with products and splits whose backward pass suits
// training its weights (dense, split).
type Decoder struct {
	Vocab, Embed, Hidden, ZDim int

	emb, wx, wz, u, b, wh, bh, wo, bo *model.Variable
	fitting                           bool
}

// Fitting returns the decoder for passes whose weights are trained (the updates, the language model's
// training): the same variables and values, with GoMLX's fused dense layer for its products (dense) and
// splitGathered for its splits (split).
func (d *Decoder) Fitting() *Decoder {
	f := *d
	f.fitting = true
	return &f
}

// dense is x W (+ b, when b is not nil) for x [M, K] and W [K, N]. GoMLX differentiates a plain product
// with respect to W as a product contracting both operands' leading axis, which the Go backend runs by
// transposing both operands and the [N, K] result: for the output layer that is the [M, V] logits'
// adjoint (12.5M values at PTB size), for the recurrence a [4H, H] transposition per time step. A fitting
// decoder uses the fused dense layer instead, whose backward pass computes W's gradient as x^T dY (only
// x, the smaller operand, transposed). It computes W's gradient whether or not it is needed, so the
// chains' passes (a gradient with respect to z alone) keep the plain product.
func (d *Decoder) dense(x *graph.Node, w, b *model.Variable) *graph.Node {
	g := x.Graph()
	var bias *graph.Node
	if b != nil {
		bias = b.NodeValue(g)
	}
	if d.fitting {
		return gnn.Dense(x, w.NodeValue(g), bias, compute.DenseLayoutInputOutputs)
	}
	y := graph.MatMul(x, w.NodeValue(g))
	if bias != nil {
		y = graph.Add(y, graph.ExpandAxes(bias, 0))
	}
	return y
}

// DecoderScope is where the decoder's variables live.
const DecoderScope = "decoder"

// NewDecoder creates the decoder's variables in scope.At(DecoderScope).
func NewDecoder(scope *model.Scope, rng *rand.Rand, vocab, embed, hidden, zDim int) *Decoder {
	c := scope.At(DecoderScope)
	u := nn.Uniform(DecoderInitScale)
	d := &Decoder{Vocab: vocab, Embed: embed, Hidden: hidden, ZDim: zDim}
	d.emb = nn.NewVariable(c, rng, "embedding", u, vocab, embed)
	d.wx = nn.NewVariable(c, rng, "w_x", u, embed, 4*hidden)
	d.wz = nn.NewVariable(c, rng, "w_z", u, zDim, 4*hidden)
	d.u = nn.NewVariable(c, rng, "u", u, hidden, 4*hidden)
	d.b = nn.NewVariable(c, rng, "b", u, 4*hidden)
	d.wh = nn.NewVariable(c, rng, "w_h", u, zDim, hidden)
	d.bh = nn.NewVariable(c, rng, "b_h", u, hidden)
	d.wo = nn.NewVariable(c, rng, "w_o", u, hidden, vocab)
	d.bo = nn.NewVariable(c, rng, "b_o", u, vocab)
	return d
}

// Variables are the decoder's trainable variables.
func (d *Decoder) Variables() []*model.Variable {
	return []*model.Variable{d.emb, d.wx, d.wz, d.u, d.b, d.wh, d.bh, d.wo, d.bo}
}

// State is the LSTM state for z: the per-step z contribution to the gates and (h, c).
type State struct {
	zGates, H, C *graph.Node
}

// Start returns the initial state for z [N, d].
func (d *Decoder) Start(z *graph.Node) *State {
	g := z.Graph()
	h := graph.Tanh(nn.Linear(z, d.wh, d.bh))
	zg := graph.Add(graph.MatMul(z, d.wz.NodeValue(g)), graph.ExpandAxes(d.b.NodeValue(g), 0))
	return &State{zGates: zg, H: h, C: graph.ZerosLike(h)}
}

// InputProjection returns W_x e_t [N, 4H] for the tokens [N] (int32) of one step.
func (d *Decoder) InputProjection(tokens *graph.Node) *graph.Node {
	g := tokens.Graph()
	n := tokens.Shape().Dimensions[0]
	e := graph.Gather(d.emb.NodeValue(g), graph.Reshape(tokens, n, 1))
	return graph.MatMul(e, d.wx.NodeValue(g))
}

// InputProjections returns W_x e_t for all steps at once, [N, T, 4H], for inputs [N, T] (int32). The
// posterior chain computes them once per batch: they do not depend on z.
func (d *Decoder) InputProjections(inputs *graph.Node) *graph.Node {
	g := inputs.Graph()
	N, T := inputs.Shape().Dimensions[0], inputs.Shape().Dimensions[1]
	e := graph.Gather(d.emb.NodeValue(g), graph.Reshape(inputs, N*T, 1))
	return graph.Reshape(d.dense(e, d.wx, nil), N, T, 4*d.Hidden)
}

// Advance feeds one step's input projection xp = W_x e_t [N, 4H] and returns the next state; its H is h_t.
func (d *Decoder) Advance(s *State, xp *graph.Node) *State {
	gates := graph.Add(graph.Add(xp, d.dense(s.H, d.u, nil)), s.zGates)
	h, c := lstmCell(gates, s.C, d.split)
	return &State{zGates: s.zGates, H: h, C: c}
}

// split is graph.Split for a fitting decoder's splitGathered (the gradient of its parts joined by one
// Concatenate, where Split pads each part's to the whole's shape): the chains' passes keep Split, as
// splitGathered's identity copies its input when the input has other consumers (the input projections,
// which every chain step shares) and buys nothing where the parts' gradients are small.
func (d *Decoder) split(x *graph.Node, axis, n int) []*graph.Node {
	if d.fitting {
		return splitGathered(x, axis, n)
	}
	return graph.Split(x, axis, n)
}

// lstmCell is the LSTM update from the pre-activations gates = [i f g o] [N, 4H] and the cell c [N, H]:
//
//	c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = sigmoid(o) tanh(c')
//
// (the decoder's step and the inference network's), the gates split by split (Decoder.split).
func lstmCell(gates, c *graph.Node, split func(x *graph.Node, axis, n int) []*graph.Node) (h, cNext *graph.Node) {
	p := split(gates, 1, 4)
	cNext = graph.Add(graph.Mul(graph.Sigmoid(p[1]), c), graph.Mul(graph.Sigmoid(p[0]), graph.Tanh(p[2])))
	return graph.Mul(graph.Sigmoid(p[3]), graph.Tanh(cNext)), cNext
}

// LogProbs returns log p(next token | state) [N, V] for h [N, H] (or [N*T, H]).
func (d *Decoder) LogProbs(h *graph.Node) *graph.Node {
	return graph.LogSoftmax(nn.Linear(h, d.wo, d.bo), -1)
}

// TargetLogProbs returns log p(target | h) [M] for h [M, H] and targets [M] (int32):
//
//	log p = logits[target] - logsumexp_v logits[v],   logits = W_o h + b_o   [M, V]
//
// The target logit is gathered at (m, target) from the logits (no one-hot [M, V] product, no transpose
// of W_o), and the log-sum-exp is written out (max held constant for the gradient, which it does not
// change), so that the forward pass holds only the logits and their exponentials at [M, V] (the gradient
// adds the softmax and the gather's scatter): at PTB size (M = 32 rows x 39 steps, V = 10k) each such
// tensor is 50 MB, and in the posterior chain's Langevin steps they are most of the work.
func (d *Decoder) TargetLogProbs(h, targets *graph.Node) *graph.Node {
	g := h.Graph()
	M := targets.Shape().Dimensions[0]
	logits := d.dense(h, d.wo, d.bo) // [M, V]
	mx := graph.StopGradient(graph.ReduceMax(logits, -1))
	lse := graph.Add(mx, graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(logits, graph.ExpandAxes(mx, -1))), -1)))
	rows := graph.Iota(g, shapes.Make(targets.DType(), M), 0)
	idx := graph.Stack([]*graph.Node{rows, graph.Reshape(targets, M)}, -1) // [M, 2]: (row, target)
	return graph.Sub(graph.Gather(logits, idx), lse)
}

// LogPX is log p_beta(x|z) per sentence, [N], for z [N, d], inputs and targets [N, T] (int32) and
// mask [N, T] (float32): the sum over t of mask[t] * log p(targets[t] | inputs[<=t], z) (teacher forcing).
// It is differentiable with respect to every decoder parameter and z. A fitting decoder projects every
// step's input in one product (InputProjections), whose weights' gradient is then one product too.
func (d *Decoder) LogPX(z, inputs, targets, mask *graph.Node) *graph.Node {
	if d.fitting {
		return d.LogPXProjected(z, d.InputProjections(inputs), targets, mask)
	}
	return d.logPX(z, func(t int) *graph.Node { return d.InputProjection(column(inputs, t)) }, targets, mask)
}

// LogPXProjected is LogPX given the input projections xp [N, T, 4H] (from InputProjections, computed
// outside the graph, once per batch: they do not depend on z). It is differentiable with respect to z,
// xp and the recurrent and output parameters.
func (d *Decoder) LogPXProjected(z, xp, targets, mask *graph.Node) *graph.Node {
	N, T := xp.Shape().Dimensions[0], xp.Shape().Dimensions[1]
	steps := d.split(xp, 1, T)
	return d.logPX(z, func(t int) *graph.Node { return graph.Reshape(steps[t], N, 4*d.Hidden) }, targets, mask)
}

// logPX runs the recurrence step by step; the outputs h_t are stacked into [N, T, H] so that the output
// layer and the target log-probabilities (TargetLogProbs) are computed once on [N*T, H].
func (d *Decoder) logPX(z *graph.Node, stepInput func(t int) *graph.Node, targets, mask *graph.Node) *graph.Node {
	N, T := targets.Shape().Dimensions[0], targets.Shape().Dimensions[1]
	s := d.Start(z)
	hs := make([]*graph.Node, T)
	for t := range hs {
		s = d.Advance(s, stepInput(t))
		hs[t] = s.H
	}
	lp := d.TargetLogProbs(graph.Reshape(graph.Stack(hs, 1), N*T, d.Hidden), graph.Reshape(targets, N*T)) // [N*T]
	tok := graph.Mul(lp, graph.Reshape(mask, N*T))
	return graph.ReduceSum(graph.Reshape(tok, N, T), 1)
}

// column returns column t of x [N, T] as [N].
func column(x *graph.Node, t int) *graph.Node {
	n := x.Shape().Dimensions[0]
	return graph.Reshape(graph.Slice(x, graph.AxisRange(), graph.AxisElem(t)), n)
}
