package plots

import (
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != WidthPx || b.Dy() != HeightPx {
		t.Fatalf("%s: %dx%d, want %dx%d", path, b.Dx(), b.Dy(), WidthPx, HeightPx)
	}
}

func TestPNGsDecodeWithExpectedSize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "curves.png")
	if err := Curves(p, "loss", "iteration", "nats", []Series{{"a", []float64{1, 2, 3}, []float64{3, 2, 1}}, {"b", []float64{1, 2, 3}, []float64{1, 1, 2}}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p)
	rng := rand.New(rand.NewPCG(1, 1))
	var x [][]float64
	var labels []int
	for i := 0; i < 60; i++ {
		row := make([]float64, 5)
		for j := range row {
			row[j] = rng.NormFloat64() + float64(i%3)*4
		}
		x = append(x, row)
		labels = append(labels, i%3)
	}
	p = filepath.Join(dir, "latent.png")
	if err := Projection(p, "posterior means", x, labels, []string{"a", "b", "c"}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, p)
}
