package sampler

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
)

func newChain(t *testing.T, energy Energy) *Langevin {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(backend, model.NewStore().RootScope(), "test", energy)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGaussianMoments: for E(z) = sum_j (z_j - m_j)^2 / (2 sigma_j^2) the discretised chain is an AR(1)
// process whose stationary law is known exactly: mean m and variance sigma^2 / (1 - s^2 / (4 sigma^2)).
func TestGaussianMoments(t *testing.T) {
	mean := []float64{1, -2}
	sigma := []float64{0.5, 1.5}
	l := newChain(t, func(_ *model.Scope, z *graph.Node, _ []*graph.Node) *graph.Node {
		g := z.Graph()
		m := graph.Const(g, [][]float32{{float32(mean[0]), float32(mean[1])}})
		inv := graph.Const(g, [][]float32{{float32(1 / (2 * sigma[0] * sigma[0])), float32(1 / (2 * sigma[1] * sigma[1]))}})
		return graph.ReduceSum(graph.Mul(graph.Square(graph.Sub(z, m)), inv), -1)
	})
	const N, d, K, s = 4000, 2, 600, 0.2
	rng := rand.New(rand.NewPCG(7, 8))
	res, err := l.Run(StandardNormal(rng, N*d), N, d, K, Constant(s), rng, -1)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < d; j++ {
		var s1, s2 float64
		for r := 0; r < N; r++ {
			v := float64(res.Z[r*d+j])
			s1 += v
			s2 += v * v
		}
		mu := s1 / N
		vr := s2/N - mu*mu
		wantVar := sigma[j] * sigma[j] / (1 - s*s/(4*sigma[j]*sigma[j]))
		// Standard errors of the sample mean and variance of N independent chains.
		seMean := math.Sqrt(wantVar / N)
		seVar := wantVar * math.Sqrt(2.0/N)
		if math.Abs(mu-mean[j]) > 4*seMean {
			t.Errorf("dim %d: mean %.4f, want %.4f ± %.4f", j, mu, mean[j], 4*seMean)
		}
		if math.Abs(vr-wantVar) > 4*seVar {
			t.Errorf("dim %d: variance %.4f, want %.4f ± %.4f", j, vr, wantVar, 4*seVar)
		}
	}
}

// TestMixtureWeights: a two-component 1-D mixture 0.3 N(-1, 0.6^2) + 0.7 N(1, 0.6^2); the fraction of chains
// below 0 must match the mixture's mass below 0 (computed by quadrature).
func TestMixtureWeights(t *testing.T) {
	const w1, m1, m2, sd = 0.3, -1.0, 1.0, 0.6
	l := newChain(t, func(_ *model.Scope, z *graph.Node, _ []*graph.Node) *graph.Node {
		x := graph.Reshape(z, z.Shape().Dimensions[0])
		comp := func(w, m float64) *graph.Node {
			d := graph.AddScalar(x, -m)
			return graph.MulScalar(graph.Exp(graph.MulScalar(graph.Square(d), -1/(2*sd*sd))), w)
		}
		return graph.Neg(graph.Log(graph.Add(comp(w1, m1), comp(1-w1, m2))))
	})
	const N, K, s = 3000, 3000, 0.15
	rng := rand.New(rand.NewPCG(3, 4))
	res, err := l.Run(StandardNormal(rng, N), N, 1, K, Constant(s), rng, -1)
	if err != nil {
		t.Fatal(err)
	}
	below := 0
	for _, v := range res.Z {
		if v < 0 {
			below++
		}
	}
	got := float64(below) / N
	want := w1*normCDF((0-m1)/sd) + (1-w1)*normCDF((0-m2)/sd)
	se := math.Sqrt(want * (1 - want) / N)
	if math.Abs(got-want) > 4*se+0.01 { // 0.01 allows for the step-size bias
		t.Errorf("mass below 0: %.4f, want %.4f ± %.4f", got, want, 4*se+0.01)
	}
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// TestDivergenceReported: a concave energy drives chains to infinity; the error names the step.
func TestDivergenceReported(t *testing.T) {
	l := newChain(t, func(_ *model.Scope, z *graph.Node, _ []*graph.Node) *graph.Node {
		return graph.ReduceSum(graph.MulScalar(graph.Square(graph.Square(z)), -1), -1)
	})
	rng := rand.New(rand.NewPCG(1, 1))
	_, err := l.Run(StandardNormal(rng, 8), 4, 2, 200, Constant(1.0), rng, 17)
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("want ChainError, got %v", err)
	}
	if ce.Iteration != 17 || ce.StepSize != 1.0 || ce.Chain != "test" {
		t.Fatalf("bad report: %+v", ce)
	}
}

// TestFaultStepAndSegments: steps of size 0 leave z unchanged; a step of size 1e30 sends z to infinity,
// and the fault is reported at that step (3, in the second 50-step segment when offset by 50), as z
// going non-finite, with its step size; E(z_{K-1}) of a sound chain is its energy before the last step.
func TestFaultStepAndSegments(t *testing.T) {
	l := newChain(t, func(_ *model.Scope, z *graph.Node, _ []*graph.Node) *graph.Node {
		return graph.ReduceSum(graph.MulScalar(z, 3), -1)
	})
	z0 := []float32{1, 2, 3, 4}
	for _, at := range []int{3, Segment + 3} {
		steps := make([]float64, at+5)
		steps[at] = 1e30
		_, err := l.Run(z0, 2, 2, len(steps), func(k, _ int) float64 { return steps[k] }, rand.New(rand.NewPCG(1, 2)), 7)
		var ce *ChainError
		if !errors.As(err, &ce) {
			t.Fatalf("fault at %d: want a ChainError, got %v", at, err)
		}
		if ce.Step != at || ce.StepSize != float64(float32(1e30)) || ce.Iteration != 7 || !strings.Contains(ce.What, "z[") {
			t.Fatalf("fault at %d reported as %+v", at, ce)
		}
	}
	res, err := l.Run(z0, 2, 2, 4, Constant(0), rand.New(rand.NewPCG(1, 2)), -1)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range res.Z {
		if v != z0[i] {
			t.Fatalf("steps of size 0 moved z: %v", res.Z)
		}
	}
	if res.Energy[0] != 9 || res.Energy[1] != 21 {
		t.Fatalf("energies %v, want [9 21]", res.Energy)
	}
}
