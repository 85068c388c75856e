package text

import (
	"github.com/gomlx/gomlx/core/graph"
)

// splitGathered returns x's n equal parts along axis, as graph.Split does, with a cheaper gradient:
// Split's parts are slices, and the gradient of each slice pads its adjoint with zeros to x's full shape,
// so n parts cost n full-size fills and n - 1 full-size additions (over a sentence's T time steps, T^2
// work); here the parts' adjoints are joined by one Concatenate.
//
// How: the parts are slices of an identity of x whose custom gradient returns that concatenation. Each
// part passes through an identity whose custom gradient records the part's adjoint and lets it through
// (so that x's identity receives a gradient whenever a part does); the slices' padded adjoints and their
// sum are then built but unused, and the backend leaves them out. GoMLX's reverse pass visits nodes in the
// reverse order of their creation (each node after every node that consumes it), so x's identity,
// created before the parts, is visited after all of them, when every adjoint of this gradient is
// recorded. A part that the differentiated value does not depend on contributes zeros; the records are
// cleared after each use, so that one gradient never sees another's.
//
// x must carry gradients (not a StopGradient): its identity's gradient is what clears the records.
func splitGathered(x *graph.Node, axis, n int) []*graph.Node {
	if x.StopGradient() {
		panic("splitGathered of a StopGradient node: its parts' records would never be cleared; use graph.Split")
	}
	if n == 1 {
		return []*graph.Node{x}
	}
	adj := make([]*graph.Node, n)
	parts := make([]*graph.Node, n)
	whole := graph.IdentityWithCustomGradient(x, func(_, _ *graph.Node) *graph.Node {
		joined := make([]*graph.Node, n)
		for i, a := range adj {
			if a == nil {
				a = graph.ZerosLike(parts[i])
			}
			joined[i] = a
			adj[i] = nil
		}
		return graph.Concatenate(joined, axis)
	})
	for i, p := range graph.Split(whole, axis, n) {
		parts[i] = graph.IdentityWithCustomGradient(p, func(_, v *graph.Node) *graph.Node {
			adj[i] = v
			return v
		})
	}
	return parts
}
