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

// EncoderScope is where the inference network's variables live.
const EncoderScope = "encoder"

// Encoder is the amortized inference network q_phi(z|x) = N(mu(x), diag exp(logVar(x))) of the paper's
// appendix (amortized inference and synthesis): a one-layer LSTM reads the sentence w_1 .. w_n </s>
// (its own embedding), and its state after the last token gives
//
//	mu = W_mu h_n + b_mu,   logVar = W_v h_n + b_v.
//
// Padding steps (mask 0) leave the state unchanged, so h_n is the state at each row's last token.
type Encoder struct {
	Vocab, Embed, Hidden, ZDim int

	emb, wx, u, b, wmu, bmu, wlv, blv *model.Variable
}

// NewEncoder creates the encoder's variables in scope.At(EncoderScope), Unif(-0.1, 0.1) like the decoder's.
func NewEncoder(scope *model.Scope, rng *rand.Rand, vocab, embed, hidden, zDim int) *Encoder {
	c := scope.At(EncoderScope)
	u := nn.Uniform(DecoderInitScale)
	e := &Encoder{Vocab: vocab, Embed: embed, Hidden: hidden, ZDim: zDim}
	e.emb = nn.NewVariable(c, rng, "embedding", u, vocab, embed)
	e.wx = nn.NewVariable(c, rng, "w_x", u, embed, 4*hidden)
	e.u = nn.NewVariable(c, rng, "u", u, hidden, 4*hidden)
	e.b = nn.NewVariable(c, rng, "b", u, 4*hidden)
	e.wmu = nn.NewVariable(c, rng, "w_mu", u, hidden, zDim)
	e.bmu = nn.NewVariable(c, rng, "b_mu", nn.Zeros, zDim)
	e.wlv = nn.NewVariable(c, rng, "w_logvar", u, hidden, zDim)
	e.blv = nn.NewVariable(c, rng, "b_logvar", nn.Zeros, zDim)
	return e
}

// Variables are phi.
func (e *Encoder) Variables() []*model.Variable {
	return []*model.Variable{e.emb, e.wx, e.u, e.b, e.wmu, e.bmu, e.wlv, e.blv}
}

// Encode returns mu(x), logVar(x) [N, d] for the sentences' targets [N, T] (int32) and mask [N, T]. The
// input projections of all steps are one product, and the products are GoMLX's fused dense layers (see
// Decoder.dense): the encoder is only ever differentiated to train its weights.
func (e *Encoder) Encode(targets, mask *graph.Node) (mu, logVar *graph.Node) {
	g := targets.Graph()
	N, T := targets.Shape().Dimensions[0], targets.Shape().Dimensions[1]
	dt := mask.DType()
	h := graph.Zeros(g, shapes.Make(dt, N, e.Hidden))
	c := graph.ZerosLike(h)
	uw, b := e.u.NodeValue(g), graph.ExpandAxes(e.b.NodeValue(g), 0)
	xs := graph.Gather(e.emb.NodeValue(g), graph.Reshape(targets, N*T, 1))
	xp := graph.Reshape(gnn.Dense(xs, e.wx.NodeValue(g), nil, compute.DenseLayoutInputOutputs), N, T, 4*e.Hidden)
	steps := splitGathered(xp, 1, T)
	for t := 0; t < T; t++ {
		x := graph.Reshape(steps[t], N, 4*e.Hidden)
		hNew, cNew := lstmCell(graph.Add(graph.Add(x, gnn.Dense(h, uw, nil, compute.DenseLayoutInputOutputs)), b), c, splitGathered)
		m := graph.Reshape(column(mask, t), N, 1)
		keep := graph.OneMinus(m)
		h = graph.Add(graph.Mul(m, hNew), graph.Mul(keep, h))
		c = graph.Add(graph.Mul(m, cNew), graph.Mul(keep, c))
	}
	return nn.Linear(h, e.wmu, e.bmu), nn.Linear(h, e.wlv, e.blv)
}
