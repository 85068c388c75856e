package image

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/nn"
)

// GeneratorScope is the scope of the generator's variables.
const GeneratorScope = "generator"

// Generator is g_beta: z [N, d] -> images [N, H, W, C] in [-1, 1].
type Generator struct {
	Layers []Layer
	ZDim   int
	w, b   []*model.Variable // per layer: kernel [Cin, K, K, Cout], bias [Cout]
}

// NewGenerator creates the generator's variables in scope.At(GeneratorScope). Kernels are Xavier-normal with
// PyTorch's fans for a transposed convolution (fan_in = Cout K^2, fan_out = Cin K^2), as in the authors'
// code; biases start at zero.
func NewGenerator(scope *model.Scope, rng *rand.Rand, layers []Layer, zDim int) *Generator {
	g := &Generator{Layers: layers, ZDim: zDim}
	c := scope.At(GeneratorScope)
	cin := zDim
	for i, l := range layers {
		std := math.Sqrt(2 / float64((l.Out+cin)*l.K*l.K))
		k := make([]float32, cin*l.K*l.K*l.Out)
		for j := range k {
			k[j] = float32(rng.NormFloat64() * std)
		}
		g.w = append(g.w, c.VariableWithValue(fmt.Sprintf("w%d", i), tensors.FromFlatDataAndDimensions(k, cin, l.K, l.K, l.Out)))
		g.b = append(g.b, nn.NewVariable(c, rng, fmt.Sprintf("b%d", i), nn.Zeros, l.Out))
		cin = l.Out
	}
	return g
}

// Variables are the generator's trainable variables.
func (g *Generator) Variables() []*model.Variable {
	return append(append([]*model.Variable{}, g.w...), g.b...)
}

// Generate computes g_beta(z) for z [N, d]: z as a 1x1 image, then per layer
// h <- LReLU_0.1(ConvT(h, w_l) + b_l), the last layer with tanh instead: [N, H, W, C].
func (g *Generator) Generate(z *graph.Node) *graph.Node {
	n := z.Shape().Dimensions[0]
	gr := z.Graph()
	h := graph.Reshape(z, n, 1, 1, g.ZDim)
	for i, l := range g.Layers {
		h = engine.ConvTranspose2D(h, g.w[i].NodeValue(gr), l.S, l.P)
		h = graph.Add(h, graph.Reshape(g.b[i].NodeValue(gr), 1, 1, 1, l.Out))
		if i < len(g.Layers)-1 {
			h = nn.LeakyReLU(h, GenSlope)
		} else {
			h = graph.Tanh(h)
		}
	}
	return h
}

// LogPX is log p_beta(x|z) = -||x - g(z)||^2 / (2 sigma^2) per row (the constant left out), [N], for
// z [N, d] and x [N, H, W, C].
func (g *Generator) LogPX(z, x *graph.Node, sigma float64) *graph.Node {
	diff := graph.Sub(x, g.Generate(z))
	return graph.MulScalar(graph.ReduceSum(graph.Square(diff), 1, 2, 3), -1/(2*sigma*sigma))
}
