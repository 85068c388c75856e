package engine

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestVariablesAreParameters: a compiled graph executed again sees the variables as they are now, both
// when the graph itself updated them and when the caller set them between executions (with GoMLX
// v0.28.16's Go backend unwrapped, both graphs below kept reading the first values: w stayed at 2, -1
// and the read-only graph kept returning -1).
func TestVariablesAreParameters(t *testing.T) {
	backend := testBackend(t)
	if backend.Capabilities().PreferConstantsForVariables {
		t.Fatal("the backend still asks GoMLX to bake variables into graphs as constants")
	}
	scope := model.NewStore().RootScope()
	w := scope.VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, -2}, 2))
	inc := model.MustNewExec(backend, scope.Store(), func(scope *model.Scope, g *graph.Graph) *graph.Node {
		x := w.NodeValue(g)
		w.SetNodeValue(graph.AddScalar(x, 1))
		return graph.ReduceAllSum(x)
	})
	sum := model.MustNewExec(backend, scope.Store(), func(scope *model.Scope, g *graph.Graph) *graph.Node {
		return graph.ReduceAllSum(w.NodeValue(g))
	})
	for step := range 3 {
		before := float32(-1 + 2*step) // sum of w before the step-th increment
		if got := sum.MustExec()[0].Value().(float32); got != before {
			t.Fatalf("step %d: the read-only graph returned %v, want %v", step, got, before)
		}
		if got := inc.MustExec()[0].Value().(float32); got != before {
			t.Fatalf("step %d: the updating graph read %v, want %v", step, got, before)
		}
		want := []float32{float32(2 + step), float32(-1 + step)}
		if got := tensors.MustCopyFlatData[float32](w.MustValue()); got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("step %d: w = %v, want %v", step, got, want)
		}
	}
	w.MustSetValue(tensors.FromFlatDataAndDimensions([]float32{10, 20}, 2))
	if got := sum.MustExec()[0].Value().(float32); got != 30 {
		t.Fatalf("after SetValue the read-only graph returned %v, want 30", got)
	}
}

// TestBuffersNameTheBackend: a buffer the backend hands out (from host data, or an execution's output)
// names the backend lebm created, so that GoMLX accepts tensors made from it in that backend's graphs.
func TestBuffersNameTheBackend(t *testing.T) {
	backend := testBackend(t)
	buf, err := backend.BufferFromFlatData(0, []float32{1, 2, 3}, shapes.Make(dtypes.Float32, 3))
	if err != nil {
		t.Fatal(err)
	}
	if buf.Backend() != backend {
		t.Fatalf("a buffer from host data names %v, not the backend it came from", buf.Backend())
	}
	x, err := tensors.FromBuffer(buf)
	if err != nil {
		t.Fatal(err)
	}
	out := graph.MustExecOnce(backend, func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(x) }, x)
	if got := out.Value().(float32); got != 6 {
		t.Fatalf("sum %v, want 6", got)
	}
	if b, err := out.Buffer(backend, 0); err != nil || b.Backend() != backend {
		t.Fatalf("an execution's output names %v (%v), not the backend that ran it", b.Backend(), err)
	}
}
