package image

import (
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/compute"
)

func testModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	backend, err := compute.NewBackend("")
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
	cfg.K0, cfg.K1 = 20, 20
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
	for i := 0; i < 150; i++ {
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
