package optim

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
)

// TestAdamSteps: on L = sum_i c_i w_i^2 the first Adam step moves each weight by lr * sign(g) (bias
// correction makes m/sqrt(v) = g/|g|); clipping rescales g but not the first step; the second step follows
// the moment recursions computed by hand.
func TestAdamSteps(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	for _, clip := range []float64{0, 0.5} {
		scope := model.NewStore().RootScope()
		w := scope.At("m").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, -2}, 2))
		const lr, b1, b2 = 0.1, 0.5, 0.999
		adam, err := NewAdam(scope.Store(), "a", []*model.Variable{w}, lr, b1, b2, clip)
		if err != nil {
			t.Fatal(err)
		}
		exec := model.MustNewExec(backend, scope.Store(), func(scope *model.Scope, g *graph.Graph) *graph.Node {
			x := w.NodeValue(g)
			loss := graph.ReduceAllSum(graph.Mul(graph.Const(g, []float32{1, 3}), graph.Square(x)))
			return adam.Minimize(loss)
		})
		// Host reference.
		ws := []float64{1, -2}
		c := []float64{1, 3}
		m, v := []float64{0, 0}, []float64{0, 0}
		for step := 1; step <= 3; step++ {
			out := exec.MustExec()
			g := []float64{2 * c[0] * ws[0], 2 * c[1] * ws[1]}
			norm := math.Hypot(g[0], g[1])
			if got := float64(tensors.MustCopyFlatData[float32](out[0])[0]); math.Abs(got-norm) > 1e-4*norm {
				t.Fatalf("step %d: norm %v, want %v", step, got, norm)
			}
			scale := 1.0
			if clip > 0 && norm > clip {
				scale = clip / norm
			}
			for i := range ws {
				gi := g[i] * scale
				m[i] = b1*m[i] + (1-b1)*gi
				v[i] = b2*v[i] + (1-b2)*gi*gi
				lrT := lr * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
				ws[i] -= lrT * m[i] / (math.Sqrt(v[i]) + 1e-8)
			}
			got := tensors.MustCopyFlatData[float32](w.MustValue())
			for i := range ws {
				if math.Abs(float64(got[i])-ws[i]) > 1e-5 {
					t.Fatalf("clip %v step %d: w = %v, want %v", clip, step, got, ws)
				}
			}
			if step == 1 && math.Abs(ws[0]-(1-lr)) > 1e-6 {
				t.Fatalf("first step must be lr * sign(g): %v", ws)
			}
		}
	}
}

// TestStateIsGoMLXs: the state NewAdam creates is the state GoMLX's Adam uses (building and running the
// update creates no variable, and the moments and step counter move), so checkpoints hold all of it; two
// optimizers in one store keep separate state; a variable list that is not a whole scope is refused.
func TestStateIsGoMLXs(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	root := store.RootScope()
	a := root.At("gen").VariableWithValue("a", tensors.FromFlatDataAndDimensions([]float32{1, -2}, 2))
	b := root.At("gen").At("sub").VariableWithValue("b", tensors.FromFlatDataAndDimensions([]float32{3}, 1))
	p := root.At("prior").VariableWithValue("p", tensors.FromFlatDataAndDimensions([]float32{0.5}, 1))
	if _, err := NewAdam(store, "bad", []*model.Variable{a}, 0.1, 0.5, 0.999, 0); err == nil {
		t.Fatal("a list missing a trainable variable of its scope must be refused")
	}
	gen, err := NewAdam(store, "generator", []*model.Variable{a, b}, 0.1, 0.5, 0.999, 5)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewAdam(store, "prior", []*model.Variable{p}, 0.01, 0.5, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	before := store.NumVariables()
	exec := model.MustNewExec(backend, store, func(_ *model.Scope, g *graph.Graph) []*graph.Node {
		loss := graph.ReduceAllSum(graph.Square(graph.Add(graph.ReduceAllSum(a.NodeValue(g)), graph.ReduceAllSum(b.NodeValue(g)))))
		return []*graph.Node{gen.Minimize(loss), pr.Minimize(graph.ReduceAllSum(graph.Square(p.NodeValue(g))))}
	})
	exec.MustExec()
	exec.MustExec()
	if after := store.NumVariables(); after != before {
		var names []string
		for v := range store.IterVariables() {
			names = append(names, v.Path())
		}
		t.Fatalf("the update created %d variables: %v", after-before, names)
	}
	for _, path := range []string{"/adam_generator/gen/a_1st_moment", "/adam_generator/gen/sub/b_2nd_moment", "/adam_prior/prior/p_1st_moment"} {
		v := store.GetVariable(path)
		if v == nil {
			t.Fatalf("no variable %s", path)
		}
		for _, x := range tensors.MustCopyFlatData[float32](v.MustValue()) {
			if x == 0 {
				t.Fatalf("%s did not move: %v", path, v.MustValue())
			}
		}
	}
	for _, path := range []string{"/gen/adam_generator/step", "/prior/adam_prior/step"} {
		if got := tensors.MustCopyFlatData[float32](store.GetVariable(path).MustValue())[0]; got != 2 {
			t.Errorf("%s = %v after two updates, want 2", path, got)
		}
	}
}
