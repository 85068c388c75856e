package engine

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Splitter splits x [N, k*H] into k tensors [N, H] without Slice.
//
// SimpleGo (GoMLX v0.26.0) has no Pad op, and the VJP of Slice, Split and Concatenate is a Pad, so slicing
// a tensor that carries a gradient fails at differentiation time. Here x is reshaped to [N, k, H] and each
// part is selected by multiplying with a one-hot mask over the k axis and summing it out: Mul and
// ReduceSum differentiate everywhere. The masks are built once per graph and reused at every time step.
type Splitter struct {
	k     int
	masks []*graph.Node // [1, k, 1] one-hot
}

// NewSplitter builds the masks for k parts in graph g.
func NewSplitter(g *graph.Graph, dtype dtypes.DType, k int) *Splitter {
	return &Splitter{k: k, masks: OneHotMasks(g, dtype, k, 3, 1)}
}

// Split returns the k parts of x [N, k*H].
func (s *Splitter) Split(x *graph.Node) []*graph.Node {
	dims := x.Shape().Dimensions
	x3 := graph.Reshape(x, dims[0], s.k, dims[1]/s.k)
	parts := make([]*graph.Node, s.k)
	for i := range parts {
		parts[i] = graph.ReduceSum(graph.Mul(x3, s.masks[i]), 1)
	}
	return parts
}

// OneHotMasks returns n constant masks of rank `rank`, all dimensions 1 except `axis` of size n, mask i
// being 1 at position i. Multiplying by mask i and summing over axis selects slice i; multiplying a
// size-1 axis by it places a value at slice i (Stack without Concatenate, see Splitter).
func OneHotMasks(g *graph.Graph, dtype dtypes.DType, n, rank, axis int) []*graph.Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[axis] = n
	out := make([]*graph.Node, n)
	for i := range out {
		data := make([]float32, n)
		data[i] = 1
		out[i] = graph.ConvertDType(graph.Const(g, tensors.FromFlatDataAndDimensions(data, dims...)), dtype)
	}
	return out
}

// Column returns column t of an integer or float input x [N, T] as [N]. It uses Slice and must only be
// applied to tensors that carry no gradient (token ids, masks).
func Column(x *graph.Node, t int) *graph.Node {
	n := x.Shape().Dimensions[0]
	return graph.Reshape(graph.Slice(x, graph.AxisRange(), graph.AxisElem(t)), n)
}
