package image

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/lebm/lebm/sampler"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
)

func testModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(backend, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTrainingBeatsMeanImage trains the embedded preset briefly on the embedded shapes and checks that the
// test images' reconstruction error falls well below (under half) that of the training set's mean image,
// which is what a generator that ignores z can at best achieve; at initialisation it is above it.
func TestTrainingBeatsMeanImage(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	cfg, _ := Preset("embedded")
	cfg.K0 = 10
	m := testModel(t, cfg)
	data := corpora.EmbeddedShapes()
	ec := DefaultEvalConfig(cfg)
	ec.Images, ec.Chains = 200, 2
	before, err := m.Reconstruct(data.Test, data.Train, "test", ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, data.Train, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	after, err := m.Reconstruct(data.Test, data.Train, "test", ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before: %s after: %s", before.Format(), after.Format())
	if before.MSE < before.Baseline {
		t.Errorf("untrained model reconstructs better (%.4f) than the mean image (%.4f): the test cannot tell", before.MSE, before.Baseline)
	}
	if after.MSE > 0.5*after.Baseline {
		t.Errorf("after training, reconstruction MSE %.4f is not well below the mean-image baseline %.4f", after.MSE, after.Baseline)
	}
}

func smallConfig() Config {
	cfg, _ := Preset("embedded")
	cfg.NGF, cfg.ZDim, cfg.EBMWidth, cfg.K0, cfg.K1, cfg.Batch = 4, 4, 16, 5, 5, 10
	return cfg
}

// variables are the values of every variable of m's store (the float32 model and optimizer state and
// GoMLX's int64 global step), by path.
func variables(m *Model) map[string]any {
	out := map[string]any{}
	for v := range m.Ctx.IterVariables() {
		out[v.Path()] = v.MustValue().Value()
	}
	return out
}

// TestResumeEquivalence: 6 iterations in one go equal 3 iterations, a checkpoint, a reload and 3 more,
// bit for bit (model, optimizer state, batch order, chain noise), for both priors.
func TestResumeEquivalence(t *testing.T) {
	data := corpora.EmbeddedShapes().Train.Slice(0, 100)
	for _, p := range []string{"ebm", "gaussian"} {
		t.Run(p, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Prior = p
			a, err := NewTrainer(testModel(t, cfg), data, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NewTrainer(testModel(t, cfg), data, nil)
			for i := 0; i < 6; i++ {
				if _, err := a.Step(); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 3; i++ {
				if _, err := b.Step(); err != nil {
					t.Fatal(err)
				}
			}
			st, err := b.SnapshotState()
			if err != nil {
				t.Fatal(err)
			}
			run := t.TempDir()
			if _, err := Save(run, b.Model, RunInfo{Format: corpora.FormatEmbedded}, st, nil); err != nil {
				t.Fatal(err)
			}
			m, info, st2, _, err := Load(b.Model.Backend, run)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Config, cfg) || info.Family != Family {
				t.Fatal("checkpoint did not restore the configuration and family")
			}
			c, err := NewTrainer(m, data, &st2)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if _, err := c.Step(); err != nil {
					t.Fatal(err)
				}
			}
			va, vc := variables(a.Model), variables(c.Model)
			for k := range va {
				if !reflect.DeepEqual(va[k], vc[k]) {
					t.Fatalf("variable %s differs between continuous and resumed runs", k)
				}
			}
		})
	}
}

// TestDivergingChainReported: an absurd posterior step size makes the chain explode; the error names the
// chain, the iteration and the step size, and the trainer's state does not advance.
func TestDivergingChainReported(t *testing.T) {
	cfg := smallConfig()
	cfg.S1 = 1e5
	tr, err := NewTrainer(testModel(t, cfg), corpora.EmbeddedShapes().Train.Slice(0, 50), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Step()
	var ce *sampler.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChainError, got %v", err)
	}
	if ce.Chain != "posterior" || ce.Iteration != 1 || ce.StepSize != 1e5 {
		t.Fatalf("report %+v", ce)
	}
	if tr.State.Step != 0 {
		t.Fatal("a failed iteration must not count")
	}
}

// TestLayersMatchImageSize: every preset's generator makes images of its configured size, and a layout
// that does not is refused.
func TestLayersMatchImageSize(t *testing.T) {
	for _, name := range PresetNames() {
		cfg, _ := Preset(name)
		if err := cfg.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	cfg, _ := Preset("svhn")
	cfg.Height, cfg.Width = 64, 64
	if err := cfg.Validate(); err == nil {
		t.Error("svhn layout accepted for 64x64 images")
	}
}

// TestLogPX: log p(x|z) is -||x - g(z)||^2 / (2 sigma^2), checked against the generated image on the host,
// and the posterior energy is -log p(x|z) - f(z) + ||z||^2/2.
func TestLogPX(t *testing.T) {
	cfg := smallConfig()
	m := testModel(t, cfg)
	z := []float32{0.3, -1, 0.5, 2, -0.2, 0.1, 0, 1}
	g, err := m.Generate(z, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := corpora.EmbeddedShapes().Test.Float([]int{0, 1})
	lp, err := m.LogPX(x, z, 2)
	if err != nil {
		t.Fatal(err)
	}
	P := cfg.Pixels()
	for i := 0; i < 2; i++ {
		var s float64
		for j := 0; j < P; j++ {
			d := float64(x[i*P+j] - g[i*P+j])
			s += d * d
		}
		want := -s / (2 * cfg.Sigma * cfg.Sigma)
		if diff := float64(lp[i]) - want; diff > 1e-3*(1-want) || diff < -1e-3*(1-want) {
			t.Errorf("image %d: log p %v, want %v", i, lp[i], want)
		}
		for j := 0; j < P; j++ {
			if g[i*P+j] < -1 || g[i*P+j] > 1 {
				t.Fatalf("g(z) outside [-1, 1]: %v", g[i*P+j])
			}
		}
	}
	// The posterior energy is -log p(x|z) - f(z) + ||z||^2/2.
	e, err := m.Energy(x, z, 2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.F(z, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		var sq float64
		for _, v := range z[i*4 : (i+1)*4] {
			sq += float64(v) * float64(v)
		}
		want := -float64(lp[i]) - float64(f[i]) + sq/2
		if d := float64(e[i]) - want; d > 1e-3*(1+math.Abs(want)) || d < -1e-3*(1+math.Abs(want)) {
			t.Errorf("image %d: energy %v, want %v", i, e[i], want)
		}
	}
}
