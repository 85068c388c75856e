package image

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// TestLogLikelihoodAgainstPriorSampling: on a model with a 2-dimensional latent and a flat likelihood
// (sigma 0.5), p(x) = E_{z ~ N(0, I)}[exp(f(z)) p(x|z)] / Z is estimated by brute force from 200k prior
// draws (with its delta-method standard error); the importance-sampled estimate of LogLikelihood must
// agree (mean over the images) within 4 standard errors of both log Z estimates and of the brute force,
// plus 0.05 nats for the importance sampler's own noise.
func TestLogLikelihoodAgainstPriorSampling(t *testing.T) {
	cfg := smallConfig()
	cfg.ZDim, cfg.Sigma, cfg.NGF = 2, 0.5, 4
	m := testModel(t, cfg)
	test := corpora.EmbeddedShapes().Test.Slice(0, 3)
	lc := DefaultLikelihoodConfig(cfg)
	lc.Chains, lc.K1, lc.S1, lc.ImportanceSamples, lc.LogZSamples = 16, 100, 0.1, 1024, 40000
	res, err := m.LogLikelihood(test, "test", lc, nil)
	if err != nil {
		t.Fatal(err)
	}
	D := float64(cfg.Pixels())
	constant := -D / 2 * math.Log(2*math.Pi*cfg.Sigma*cfg.Sigma)
	rng := rand.New(rand.NewPCG(9, 9))
	const M, B = 40000, 4000
	logZ, err := m.EstimateLogZ(M, rng)
	if err != nil {
		t.Fatal(err)
	}
	var total, seSq float64
	for i := 0; i < test.N(); i++ {
		x := test.Float([]int{i})
		rows := make([]float32, 0, B*len(x))
		for r := 0; r < B; r++ {
			rows = append(rows, x...)
		}
		terms := make([]float64, 0, M)
		for done := 0; done < M; done += B {
			z := sampler.StandardNormal(rng, B*cfg.ZDim)
			lp, err := m.LogPX(rows, z, B)
			if err != nil {
				t.Fatal(err)
			}
			f, err := m.F(z, B)
			if err != nil {
				t.Fatal(err)
			}
			for r := range lp {
				terms = append(terms, float64(lp[r])+float64(f[r]))
			}
		}
		mean, se, _ := prior.LogMeanExp(terms) // log mean exp(f + log p(x|z)), s.e. sd(w)/(sqrt(M) mean(w))
		brute := mean - logZ.Value + constant
		total += -brute
		seSq += se * se
		t.Logf("image %d: brute force log p(x) %.3f ± %.3f (log Z s.e. %.4f)", i, brute, se, logZ.StdErr)
		if se > 0.2 {
			t.Fatalf("test design: the brute-force estimate is too noisy (s.e. %.3f)", se)
		}
	}
	n := float64(test.N())
	want := total / n
	tol := 0.05 + 4*(math.Sqrt(seSq)/n+logZ.StdErr+res.LogZ.StdErr)
	t.Logf("importance-sampled NLL %.3f, brute force %.3f (tolerance %.3f)", res.NLL, want, tol)
	if math.Abs(res.NLL-want) > tol {
		t.Errorf("importance-sampled NLL %.3f nats/image, brute force %.3f (tolerance %.3f)", res.NLL, want, tol)
	}
	if bpd := (res.NLL + D*math.Log(128)) / (D * math.Ln2); res.BitsPerDim != bpd {
		t.Errorf("bits/dim %v, want %v", res.BitsPerDim, bpd)
	}
}
