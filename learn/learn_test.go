package learn

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/lebm/lebm/prior"
)

// TestStreamsResume: a restored pair of streams continues exactly where the saved one was, and the two
// chains' streams differ.
func TestStreamsResume(t *testing.T) {
	a, _ := NewStreams(7, nil, nil)
	for i := 0; i < 5; i++ {
		a.Prior.NormFloat64()
		a.Posterior.Uint64()
	}
	p, q, err := a.States()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewStreams(7, p, q)
	if err != nil {
		t.Fatal(err)
	}
	if a.Prior.Uint64() != b.Prior.Uint64() || a.Posterior.Uint64() != b.Posterior.Uint64() {
		t.Fatal("restored streams differ")
	}
	c, _ := NewStreams(7, nil, nil)
	if c.Prior.Uint64() == c.Posterior.Uint64() {
		t.Fatal("prior and posterior streams coincide")
	}
	if _, err := NewStreams(7, []byte("bad"), q); err == nil || !strings.Contains(err.Error(), "prior-chain") {
		t.Fatalf("bad state: %v", err)
	}
}

func TestCheckFinite(t *testing.T) {
	if err := CheckFinite(3, "loss", 1.5, "norm", 2.0); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -2e30} {
		err := CheckFinite(4, "loss", 1.0, "norm", bad)
		if err == nil || !strings.Contains(err.Error(), "iteration 4") || !strings.Contains(err.Error(), "norm") || !strings.Contains(err.Error(), "intact") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestWriteLogAndTiming(t *testing.T) {
	var buf bytes.Buffer
	for it := 1; it <= 6; it++ {
		if err := WriteLog(&buf, it, 3, map[string]int{"step": it}); err != nil {
			t.Fatal(err)
		}
	}
	if buf.String() != "{\"step\":3}\n{\"step\":6}\n" {
		t.Fatalf("log %q", buf.String())
	}
	var tm Timing
	tm.Add(1, 2)
	tm.Add(1, 3)
	if tm.Iteration != 2 || tm.Host != 5 || tm.Iterations != 2 {
		t.Fatalf("%+v", tm)
	}
}

// TestPriorSampler: reports say exact N(0, I) draws for the gaussian prior, and for the EBM prior the
// chain's start (N(0, I) or the synthesis network), length and step.
func TestPriorSampler(t *testing.T) {
	for _, tc := range []struct {
		kind, init string
		k          int
		want       string
	}{
		{prior.Gaussian, "", 7, "exact N(0, I) draws"},
		{prior.EBM, "", 7, "from N(0, I), K0 = 7 steps of s0 = 0.3"},
		{prior.EBM, InitSynthesis, 7, "from the synthesis network q_psi, K0 = 7 steps"},
		{prior.EBM, InitSynthesis, 0, "draws of the synthesis network q_psi (no prior chain)"},
	} {
		core := lgCore(t, &Config{ZDim: lgD, Prior: tc.kind, PriorInit: tc.init, K0: 7, S0: 0.3, K1: 1, S1: 0.1, LRGen: 1e-3, LRPrior: 1e-4,
			Beta1: 0.5, Beta2: 0.999, Batch: 4, Seed: 1, SaveEvery: 1, LogEvery: 1, EBMWidth: 8})
		if got := core.PriorSampler(tc.k, 0.3); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q in it", tc, got, tc.want)
		}
	}
}
