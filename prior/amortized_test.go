package prior

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/optim"
)

// TestGaussianKLAndEntropy: the graph's KL(N(mu, sigma^2) || N(0, I)) and entropy against the closed
// forms, on hand-computed cases and random parameters, and the KL against a Monte Carlo estimate.
func TestGaussianKLAndEntropy(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	// rows: (mu, logVar) of dimension 2
	mu := []float32{0, 0, 1, 0, 0.5, -2}
	lv := []float32{0, 0, 0, 0, float32(math.Log(0.25)), 1}
	out := graph.MustExecOnceN(backend, func(m, l *graph.Node) (*graph.Node, *graph.Node) {
		return GaussianKL(m, l), GaussianEntropy(l)
	}, tensors.FromFlatDataAndDimensions(mu, 3, 2), tensors.FromFlatDataAndDimensions(lv, 3, 2))
	kl := tensors.MustCopyFlatData[float32](out[0])
	h := tensors.MustCopyFlatData[float32](out[1])
	wantKL := []float64{0, 0.5, 0.5 * (0.25 + 0.25 - 1 - math.Log(0.25) + 4 + math.E - 1 - 1)}
	wantH := []float64{1 + Log2Pi, 1 + Log2Pi, 0.5*(1+Log2Pi+math.Log(0.25)) + 0.5*(1+Log2Pi+1)}
	for i := range wantKL {
		if math.Abs(float64(kl[i])-wantKL[i]) > 1e-5 || math.Abs(float64(h[i])-wantH[i]) > 1e-5 {
			t.Errorf("row %d: KL %v want %v, entropy %v want %v", i, kl[i], wantKL[i], h[i], wantH[i])
		}
		m64 := []float64{float64(mu[2*i]), float64(mu[2*i+1])}
		l64 := []float64{float64(lv[2*i]), float64(lv[2*i+1])}
		if math.Abs(GaussianKLHost(m64, l64)-wantKL[i]) > 1e-6 {
			t.Errorf("row %d: host KL %v want %v", i, GaussianKLHost(m64, l64), wantKL[i])
		}
	}
	// Monte Carlo: KL = E_q[log q - log p0] for row 2.
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	var sum float64
	for s := 0; s < n; s++ {
		for j := 0; j < 2; j++ {
			sd := math.Exp(float64(lv[4+j]) / 2)
			e := rng.NormFloat64()
			z := float64(mu[4+j]) + sd*e
			sum += (-0.5*e*e - math.Log(sd)) - (-0.5 * z * z)
		}
	}
	if mc := sum / n; math.Abs(mc-wantKL[2]) > 0.02 {
		t.Errorf("Monte Carlo KL %.4f vs closed form %.4f", mc, wantKL[2])
	}
}

// TestSynthesisLearnsKnownPrior: with f_alpha made linear, f(z) = a.z + c (first-layer biases so large that
// every LeakyReLU is in its identity part), p_alpha = N(a, I) exactly. Minimising the synthesis
// objective alone must move q_psi = N(m, diag exp(logVar)) from N(0, I) to N(a, I).
func TestSynthesisLearnsKnownPrior(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	const d = 3
	scope := model.NewStore().RootScope()
	rng := rand.New(rand.NewPCG(3, 4))
	p, err := New(scope, EBM, d, d, rng)
	if err != nil {
		t.Fatal(err)
	}
	a := []float32{1.5, -1, 0.5}
	eye := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
	set := func(v *model.Variable, x []float32) {
		v.MustSetValue(tensors.FromFlatDataAndDimensions(x, v.Shape().Dimensions...))
	}
	set(p.w1, eye)
	set(p.b1, []float32{100, 100, 100})
	set(p.w2, eye)
	set(p.b2, []float32{100, 100, 100})
	set(p.w3, a)
	syn := NewSynthesis(scope, rng, d)
	opt, err := optim.NewAdam(scope.Store(), "synthesis", syn.Variables(), 0.02, 0.9, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	step, err := model.NewExec(backend, scope.Store(), func(_ *model.Scope, eps *graph.Node) *graph.Node {
		loss := syn.Loss(p, eps)
		opt.Minimize(loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	for it := 0; it < 800; it++ {
		eps := make([]float32, 64*d)
		for i := range eps {
			eps[i] = float32(rng.NormFloat64())
		}
		if _, err := step.Exec(tensors.FromFlatDataAndDimensions(eps, 64, d)); err != nil {
			t.Fatal(err)
		}
	}
	m := tensors.MustCopyFlatData[float32](syn.m.MustValue())
	lv := tensors.MustCopyFlatData[float32](syn.logVar.MustValue())
	for j := 0; j < d; j++ {
		if math.Abs(float64(m[j]-a[j])) > 0.1 || math.Abs(float64(lv[j])) > 0.15 {
			t.Errorf("dim %d: q_psi mean %.3f (want %.1f), log variance %.3f (want 0)", j, m[j], a[j], lv[j])
		}
	}
}

// TestGaussianKLFreeBits: FreeBits of the KL terms, sum_j max(mean_i KL_ij, lambda) against a host computation.
func TestGaussianKLFreeBits(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	mu := []float32{0.1, 2, 0, 0.3, -1, 0}
	lv := []float32{0, 0.5, -0.1, 0, 0, 0.2}
	for _, lambda := range []float64{0, 0.05, 0.5} {
		out := graph.MustExecOnce(backend, func(m, l *graph.Node) *graph.Node { return FreeBits(GaussianKLTerms(m, l), lambda) },
			tensors.FromFlatDataAndDimensions(mu, 2, 3), tensors.FromFlatDataAndDimensions(lv, 2, 3))
		var want float64
		for j := 0; j < 3; j++ {
			var s float64
			for i := 0; i < 2; i++ {
				s += GaussianKLHost([]float64{float64(mu[i*3+j])}, []float64{float64(lv[i*3+j])})
			}
			want += math.Max(s/2, lambda)
		}
		if got := float64(tensors.MustCopyFlatData[float32](out)[0]); math.Abs(got-want) > 1e-5 {
			t.Errorf("lambda %v: got %v want %v", lambda, got, want)
		}
	}
}
