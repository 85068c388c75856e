package image

import (
	"math"
	"strings"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/prior"
)

// TestInceptionGraphRuns builds GoMLX's Inception-v3 with random weights, at its smallest input size, on the default backend (the
// pretrained weights are the user's to supply) and checks the feature shape, that features depend on the
// image, and that a set's FID against itself is 0 while against other images it is not.
func TestInceptionGraphRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Inception-v3 at 299x299")
	}
	inc := testInception(t)
	shapes := corpora.EmbeddedShapes().Test
	x := shapes.Float([]int{0, 1, 2, 3})
	f, err := inc.Features(x, 4, 16, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 4 || len(f[0]) != 2048 {
		t.Fatalf("features %d x %d, want 4 x 2048", len(f), len(f[0]))
	}
	same := true
	for j := range f[0] {
		if math.IsNaN(f[0][j]) || math.IsInf(f[0][j], 0) {
			t.Fatal("non-finite feature")
		}
		if f[0][j] != f[1][j] {
			same = false
		}
	}
	if same {
		t.Fatal("two different images have the same features")
	}
	a, _ := FitGaussian(f[:2])
	b, _ := FitGaussian(f[2:])
	self, err := FrechetDistance(a, a)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := FrechetDistance(a, b)
	if math.Abs(self) > 1e-4*other || other <= 0 {
		t.Errorf("FID with itself %v, with other images %v", self, other)
	}
	if _, err := NewInception(nil, t.TempDir()); err == nil || !strings.Contains(err.Error(), "weights.h5") {
		t.Errorf("missing weights: %v", err)
	}
}

// testInception is Inception-v3 with random weights at its smallest input, 75x75: 16x less work than
// 299 on the slow CPU backend.
func testInception(t *testing.T) *Inception {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	inc, err := newInception(backend, "")
	if err != nil {
		t.Fatal(err)
	}
	inc.size = 75
	return inc
}

// TestFIDRecord: Model.FID reports its counts, its reference split and how z was drawn (here exact N(0, I)
// draws: a gaussian prior; learn's TestPriorSampler covers the chain's wording), with Inception at
// random weights and its smallest input (the pretrained weights are the user's).
func TestFIDRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Inception-v3")
	}
	inc := testInception(t)
	ref := corpora.EmbeddedShapes().Test
	cfg := smallConfig()
	cfg.Prior = prior.Gaussian
	m := testModel(t, cfg)
	res, err := m.FID(inc, ref, FIDConfig{Samples: 2, Reference: "test", Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = "exact N(0, I)"
	if !strings.Contains(res.Sampler, want) || res.Samples != 2 || res.RealImages != 2 || res.Reference != "test" ||
		!(res.Value > 0) || !strings.Contains(res.Format(), want) {
		t.Errorf("%+v, want the sampler to say %q", res, want)
	}
	if _, err := m.FID(inc, ref, FIDConfig{Samples: 1}, nil); err == nil {
		t.Error("FID of one sample accepted")
	}
}
