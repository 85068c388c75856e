package compute

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func testBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// TestDotGeneralVJPMatchesGoMLX compares our VJP against GoMLX's generic one on layouts with batch axes,
// several contracting axes given out of order, and cross axes on both sides.
func TestDotGeneralVJPMatchesGoMLX(t *testing.T) {
	backend := testBackend(t)
	cases := []struct {
		name             string
		lhsDims, rhsDims []int
		lc, lb, rc, rb   []int
	}{
		{"matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil},
		{"dot", []int{3, 4}, []int{4, 5}, nil, nil, nil, nil}, // nil axes: built with graph.MatMul (a Dot node)
		{"matmul-transposed-rhs", []int{3, 4}, []int{5, 4}, []int{1}, nil, []int{1}, nil},
		{"batched", []int{2, 3, 4}, []int{2, 4, 5}, []int{2}, []int{0}, []int{1}, []int{0}},
		{"two-contracting-swapped", []int{3, 4, 2}, []int{2, 5, 4}, []int{1, 2}, nil, []int{2, 0}, nil},
		{"batch-last", []int{4, 3, 2}, []int{5, 4, 2}, []int{0}, []int{2}, []int{1}, []int{2}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lhs, rhs := randTensor(rng, tc.lhsDims...), randTensor(rng, tc.rhsDims...)
			build := func(x, y *graph.Node) []*graph.Node {
				var out *graph.Node
				if tc.lc == nil {
					out = graph.MatMul(x, y)
				} else {
					out = graph.DotGeneral(x, tc.lc, tc.lb, y, tc.rc, tc.rb)
				}
				// A loss with a non-uniform adjoint, so that axis mix-ups show.
				w := graph.Iota(out.Graph(), out.Shape(), out.Rank()-1)
				loss := graph.ReduceAllSum(graph.Mul(graph.Sin(w), out))
				return graph.Gradient(loss, x, y)
			}
			run := func() []*tensors.Tensor {
				exec := graph.MustNewExec(backend, build)
				return exec.MustExec(lhs, rhs)
			}
			graph.VJPRegistration[graph.NodeTypeDotGeneral] = gomlxDotGeneralVJP
			graph.VJPRegistration[graph.NodeTypeDot] = gomlxDotVJP
			want := run()
			registerOnce = sync.Once{}
			Register()
			got := run()
			for i := range want {
				w, g := want[i].Value(), got[i].Value()
				wf, gf := flatten(w), flatten(g)
				if len(wf) != len(gf) {
					t.Fatalf("grad %d: shape %v, want %v", i, got[i].Shape(), want[i].Shape())
				}
				for j := range wf {
					if math.Abs(float64(wf[j]-gf[j])) > 1e-4*(1+math.Abs(float64(wf[j]))) {
						t.Fatalf("grad %d element %d: got %v want %v", i, j, gf[j], wf[j])
					}
				}
			}
		})
	}
}

func flatten(v any) []float32 {
	var out []float32
	switch x := v.(type) {
	case []float32:
		return x
	case [][]float32:
		for _, r := range x {
			out = append(out, r...)
		}
	case [][][]float32:
		for _, r := range x {
			out = append(out, flatten(r)...)
		}
	}
	return out
}
