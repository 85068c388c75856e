package image

import (
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// TestFitSamplesAnalytic: with the gaussian prior and posterior chains of 0 steps, both latent sets are
// independent N(0, I) draws (d = 4, n = 400), whose Fréchet distance estimate is about
// 2d/n + (d^2 + d)/(2n) ≈ 0.045: it must be small and positive; the pixel distance must be positive.
// With 60 posterior steps of 0.5 the posterior codes move away from N(0, I) and the latent distance grows.
func TestFitSamplesAnalytic(t *testing.T) {
	cfg := smallConfig()
	cfg.Prior = "gaussian"
	m := testModel(t, cfg)
	test := corpora.EmbeddedShapes().Test
	ec := EvalConfig{Images: 400, Estimator: learn.Estimator{K1: 0, S1: 0.1}, Seed: 3}
	f, err := m.FitSamples(test, ec)
	if err != nil {
		t.Fatal(err)
	}
	if f.LatentFD <= 0 || f.LatentFD > 0.2 || f.PixelFD <= 0 || f.K0 != 0 || f.Samples != 400 {
		t.Fatalf("%+v", f)
	}
	ec.K1, ec.S1 = 60, 0.5
	moved, err := m.FitSamples(test, ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("N(0, I) codes: %+v; after 60 steps: %+v", f, moved)
	if moved.LatentFD < 5*f.LatentFD {
		t.Errorf("posterior codes after 60 steps: latent distance %.4f, not well above the N(0, I) baseline %.4f", moved.LatentFD, f.LatentFD)
	}
}
