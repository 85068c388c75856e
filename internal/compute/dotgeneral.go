package compute

import (
	"reflect"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

var registerOnce sync.Once

// GoMLX's own VJPs, kept for the tests that compare against them and for the cases ours delegates.
var (
	gomlxDotGeneralVJP = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	gomlxDotVJP        = graph.VJPRegistration[graph.NodeTypeDot]
)

// Register installs lebm's graph-level fixes into GoMLX. It is idempotent and must be called before any
// graph that is differentiated is built (NewBackend callers and tests call it).
//
// It replaces the VJPs of DotGeneral and of Dot (what graph.MatMul builds for two matrices), which both
// broadcast to a rank-3 or rank-4 product before reducing. For out = DotGeneral(lhs, rhs) with batch axes b, lhs cross axes i,
// rhs cross axes j and contracting axes k (out[b,i,j] = sum_k lhs[b,i,k] rhs[b,j,k]), the adjoints are
//
//	dlhs[b,i,k] = sum_j v[b,i,j] rhs[b,j,k]   (one DotGeneral contracting j)
//	drhs[b,j,k] = sum_i lhs[b,i,k] v[b,i,j]   (one DotGeneral contracting i)
//
// followed by a transpose back to the operand's axis order. GoMLX v0.26.0's own VJP broadcasts v and the
// other operand to [b, i, j, k] before reducing, which for the PTB output layer (batch 32, hidden 512,
// vocabulary 10k) is gigabytes per time step.
func Register() {
	registerOnce.Do(func() {
		graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
			return dotGeneralVJP(node, v[0])
		}
		graph.VJPRegistration[graph.NodeTypeDot] = func(node *graph.Node, v []*graph.Node, out shapes.Shape) []*graph.Node {
			return dotVJP(node, v, out)
		}
	})
}

// dotGeneralAxes reads the axes of a DotGeneral node. GoMLX keeps them in an unexported struct; reading
// (not writing) unexported fields through reflect is allowed and this is checked by the tests.
func dotGeneralAxes(node *graph.Node) (lhsContract, lhsBatch, rhsContract, rhsBatch []int) {
	inputs := reflect.ValueOf(node).Elem().FieldByName("inputs").Elem().Elem()
	read := func(name string) []int {
		f := inputs.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	return read("lhsContractingAxes"), read("lhsBatchAxes"), read("rhsContractingAxes"), read("rhsBatchAxes")
}

// crossAxes lists the axes of a rank-r operand that are neither contracting nor batch, in increasing order.
func crossAxes(rank int, contract, batch []int) []int {
	var out []int
	for a := 0; a < rank; a++ {
		if !slices.Contains(contract, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

func dotGeneralVJP(node, v *graph.Node) []*graph.Node {
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	lc, lb, rc, rb := dotGeneralAxes(node)
	lx := crossAxes(lhs.Rank(), lc, lb)
	rx := crossAxes(rhs.Rank(), rc, rb)
	nb, nlx, nrx := len(lb), len(lx), len(rx)
	vBatch := iota(0, nb)
	vLhsCross := iota(nb, nlx)
	vRhsCross := iota(nb+nlx, nrx)

	// dlhs: DotGeneral(v, rhs) contracting the rhs cross axes. Output axes:
	// [batch..., lhs cross..., rhs contracting axes in increasing rhs order].
	dl := graph.DotGeneral(v, vRhsCross, vBatch, rhs, rx, rb)
	perm := make([]int, lhs.Rank()) // perm[lhs axis] = axis of dl
	for i, a := range lb {
		perm[a] = i
	}
	for i, a := range lx {
		perm[a] = nb + i
	}
	sortedRC := slices.Sorted(slices.Values(rc))
	for p, a := range sortedRC {
		perm[lc[slices.Index(rc, a)]] = nb + nlx + p
	}
	dl = transposeTo(dl, perm)

	// drhs: DotGeneral(lhs, v) contracting the lhs cross axes. Output axes:
	// [batch..., lhs contracting axes in increasing lhs order, rhs cross...].
	dr := graph.DotGeneral(lhs, lx, lb, v, vLhsCross, vBatch)
	perm = make([]int, rhs.Rank())
	for i, a := range rb {
		perm[a] = i
	}
	sortedLC := slices.Sorted(slices.Values(lc))
	for p, a := range sortedLC {
		perm[rc[slices.Index(lc, a)]] = nb + p
	}
	for i, a := range rx {
		perm[a] = nb + len(lc) + i
	}
	dr = transposeTo(dr, perm)
	return []*graph.Node{dl, dr}
}

// transposeTo returns y with y's axis a taken from x's axis perm[a].
func transposeTo(x *graph.Node, perm []int) *graph.Node {
	identity := true
	for i, p := range perm {
		if i != p {
			identity = false
		}
	}
	if identity {
		return x
	}
	return graph.TransposeAllAxes(x, perm...)
}

func iota(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

// dotVJP handles Dot(a [i,j], b [j,k]) with two DotGenerals: da = v bᵀ, db = aᵀ v. Vector cases keep
// GoMLX's VJP (their broadcast is no larger than the output).
func dotVJP(node *graph.Node, v []*graph.Node, out shapes.Shape) []*graph.Node {
	a, b := node.Inputs()[0], node.Inputs()[1]
	if a.Rank() != 2 || b.Rank() != 2 {
		return gomlxDotVJP(node, v, out)
	}
	return []*graph.Node{
		graph.DotGeneral(v[0], []int{1}, nil, b, []int{1}, nil),
		graph.DotGeneral(a, []int{0}, nil, v[0], []int{0}, nil),
	}
}
