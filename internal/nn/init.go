package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Init draws an initial value for a variable of the given dimensions.
type Init func(rng *rand.Rand, dims []int) []float32

// XavierNormal is N(0, 2 / (fan_in + fan_out)) with fan_in = dims[0], fan_out = dims[1] (1 for vectors).
func XavierNormal(rng *rand.Rand, dims []int) []float32 {
	fanIn, fanOut := dims[0], 1
	if len(dims) > 1 {
		fanOut = dims[1]
	}
	std := math.Sqrt(2 / float64(fanIn+fanOut))
	out := make([]float32, size(dims))
	for i := range out {
		out[i] = float32(rng.NormFloat64() * std)
	}
	return out
}

// Uniform returns an Init drawing from Unif(-a, a).
func Uniform(a float64) Init {
	return func(rng *rand.Rand, dims []int) []float32 {
		out := make([]float32, size(dims))
		for i := range out {
			out[i] = float32((2*rng.Float64() - 1) * a)
		}
		return out
	}
}

// Zeros is the all-zero Init.
func Zeros(_ *rand.Rand, dims []int) []float32 { return make([]float32, size(dims)) }

// NewVariable creates a float32 variable named name in scope with the given initial value.
func NewVariable(scope *model.Scope, rng *rand.Rand, name string, init Init, dims ...int) *model.Variable {
	return scope.VariableWithValue(name, tensors.FromFlatDataAndDimensions(init(rng, dims), dims...))
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// LeakyReLU is max(x, alpha*x) for 0 < alpha < 1.
func LeakyReLU(x *graph.Node, alpha float64) *graph.Node {
	return graph.Max(x, graph.MulScalar(x, alpha))
}

// Linear is x·w + b for x [N, in], w [in, out], b [out].
func Linear(x *graph.Node, w, b *model.Variable) *graph.Node {
	g := x.Graph()
	return graph.Add(graph.MatMul(x, w.NodeValue(g)), graph.ExpandAxes(b.NodeValue(g), 0))
}
