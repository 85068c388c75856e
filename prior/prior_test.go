package prior

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
)

func set(v *model.Variable, data []float32) {
	v.MustSetValue(tensors.FromFlatDataAndDimensions(data, v.Shape().Dimensions...))
}

// TestLogZLinearEnergy: weights chosen so that f(z) = a·z exactly (LReLU(u) - LReLU(-u) = 1.2 u, and a
// large bias keeps the second layer in its linear part), for which log Z = log E[exp(a·z)] = |a|^2 / 2.
func TestLogZLinearEnergy(t *testing.T) {
	const d = 3
	a := []float64{0.5, -0.3, 0.2}
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	scope := model.NewStore().RootScope()
	p, err := New(scope, EBM, d, 2*d, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	w1 := make([]float32, d*2*d) // [d, 2d]: h = [z, -z]
	for j := 0; j < d; j++ {
		w1[j*2*d+j] = 1
		w1[j*2*d+d+j] = -1
	}
	set(p.w1, w1)
	set(p.b1, make([]float32, 2*d))
	w2 := make([]float32, 2*d*2*d) // unit 0 = (h_j - h_{d+j}) a_j / 1.2 summed, + 50
	for j := 0; j < d; j++ {
		w2[j*2*d] = float32(a[j] / 1.2)
		w2[(d+j)*2*d] = float32(-a[j] / 1.2)
	}
	set(p.w2, w2)
	b2 := make([]float32, 2*d)
	b2[0] = 50
	set(p.b2, b2)
	w3 := make([]float32, 2*d)
	w3[0] = 1
	set(p.w3, w3)
	set(p.b3, []float32{-50})

	ev, err := NewEvaluator(backend, scope, p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ev.F([]float32{1, 1, 1, 0, 2, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(f[0])-0.4) > 1e-4 || math.Abs(float64(f[1])+0.6) > 1e-4 {
		t.Fatalf("f = %v, want [0.4 -0.6]", f)
	}
	lz, err := ev.EstimateLogZ(200000, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	want := (a[0]*a[0] + a[1]*a[1] + a[2]*a[2]) / 2
	if math.Abs(lz.Value-want) > 4*lz.StdErr || lz.Samples != 200000 {
		t.Fatalf("log Z %.5f (s.e. %.5f), want %.5f", lz.Value, lz.StdErr, want)
	}
	g, _ := New(model.NewStore().RootScope(), Gaussian, d, 0, nil)
	gev, _ := NewEvaluator(backend, model.NewStore().RootScope(), g)
	if lz, _ := gev.EstimateLogZ(10, nil); lz.Value != 0 {
		t.Fatal("gaussian prior: log Z must be exactly 0")
	}
}
