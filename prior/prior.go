package prior

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/internal/nn"
)

// Kinds of prior.
const (
	EBM      = "ebm"      // f_alpha is an MLP d -> nef -> nef -> 1
	Gaussian = "gaussian" // f_alpha = 0: p_alpha = N(0, I), Z = 1 (the paper's fixed-prior ablation)
)

// Defaults from DESIGN.md.
const (
	DefaultWidth = 200 // nef: hidden width of f_alpha
	LeakySlope   = 0.2 // LeakyReLU slope of f_alpha
	Scope        = "prior"
)

// Prior is f_alpha and its variables (none for the gaussian prior).
type Prior struct {
	Kind                   string
	ZDim                   int
	Width                  int
	w1, b1, w2, b2, w3, b3 *model.Variable
}

// New creates the prior's variables in scope.At(Scope), initialised Xavier-normal (biases zero) from rng.
func New(scope *model.Scope, kind string, zDim, width int, rng *rand.Rand) (*Prior, error) {
	p := &Prior{Kind: kind, ZDim: zDim, Width: width}
	switch kind {
	case Gaussian:
		return p, nil
	case EBM:
	default:
		return nil, fmt.Errorf("unknown prior %q (expected %q or %q)", kind, EBM, Gaussian)
	}
	if zDim < 1 || width < 1 {
		return nil, fmt.Errorf("prior: z dimension %d and width %d must be positive", zDim, width)
	}
	c := scope.At(Scope)
	p.w1 = nn.NewVariable(c, rng, "w1", nn.XavierNormal, zDim, width)
	p.b1 = nn.NewVariable(c, rng, "b1", nn.Zeros, width)
	p.w2 = nn.NewVariable(c, rng, "w2", nn.XavierNormal, width, width)
	p.b2 = nn.NewVariable(c, rng, "b2", nn.Zeros, width)
	p.w3 = nn.NewVariable(c, rng, "w3", nn.XavierNormal, width, 1)
	p.b3 = nn.NewVariable(c, rng, "b3", nn.Zeros, 1)
	return p, nil
}

// Trainable reports whether the prior has parameters (false for the gaussian prior).
func (p *Prior) Trainable() bool { return p.Kind == EBM }

// Variables are the trainable variables of f_alpha.
func (p *Prior) Variables() []*model.Variable {
	if !p.Trainable() {
		return nil
	}
	return []*model.Variable{p.w1, p.b1, p.w2, p.b2, p.w3, p.b3}
}

// F computes f_alpha(z) for z [N, d], returning [N]:
//
//	f(z) = w3ᵀ LReLU(W2ᵀ LReLU(W1ᵀ z + b1) + b2) + b3,  LReLU slope 0.2.
func (p *Prior) F(z *graph.Node) *graph.Node {
	if !p.Trainable() {
		return graph.ReduceSum(graph.ZerosLike(z), -1)
	}
	h := nn.LeakyReLU(nn.Linear(z, p.w1, p.b1), LeakySlope)
	h = nn.LeakyReLU(nn.Linear(h, p.w2, p.b2), LeakySlope)
	return graph.Reshape(nn.Linear(h, p.w3, p.b3), z.Shape().Dimensions[0])
}

// Energy is the prior's energy E_alpha(z) = -f_alpha(z) + ||z||^2 / 2, [N] for z [N, d]; its Langevin
// target is p_alpha(z).
func (p *Prior) Energy(z *graph.Node) *graph.Node {
	return graph.Sub(graph.MulScalar(graph.ReduceSum(graph.Square(z), -1), 0.5), p.F(z))
}

// LogP0 is log N(z; 0, I) = -||z||^2/2 - d/2 log(2 pi), [N].
func LogP0(z *graph.Node) *graph.Node {
	d := float64(z.Shape().Dimensions[1])
	return graph.AddScalar(graph.MulScalar(graph.ReduceSum(graph.Square(z), -1), -0.5), -0.5*d*Log2Pi)
}

// Log2Pi is log(2 pi), the constant of Gaussian log-densities.
const Log2Pi = 1.8378770664093453

// Torch is f_alpha as the PyTorch modules of examples/pytorch/lebm.py hold it, under prefix:
// fc1 = nn.Linear(d, nef), fc2 = nn.Linear(nef, nef), fc3 = nn.Linear(nef, 1), LeakyReLU(0.2) between
// (nn.Linear's weight is [out, in], lebm's [in, out]). The gaussian prior has none.
func (p *Prior) Torch(prefix string) []ckpt.TorchTensor {
	if !p.Trainable() {
		return nil
	}
	var out []ckpt.TorchTensor
	for i, wb := range [][2]*model.Variable{{p.w1, p.b1}, {p.w2, p.b2}, {p.w3, p.b3}} {
		name := fmt.Sprintf("%sfc%d.", prefix, i+1)
		out = append(out, ckpt.TorchTensor{Name: name + "weight", Vars: wb[:1], Perm: []int{1, 0}},
			ckpt.TorchTensor{Name: name + "bias", Vars: wb[1:]})
	}
	return out
}
