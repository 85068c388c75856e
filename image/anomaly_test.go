package image

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

// TestAveragePrecision against values worked out by hand (and equal to scikit-learn's
// average_precision_score on the same inputs).
func TestAveragePrecision(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.1}, []bool{true, true, false}, 1},
		{"interleaved", []float64{0.9, 0.8, 0.7, 0.6}, []bool{true, false, true, false}, 0.5*1 + 0.5*2.0/3},
		{"worst", []float64{0.9, 0.1}, []bool{false, true}, 0.5},
		{"tie enters together", []float64{1, 1, 0}, []bool{true, false, false}, 0.5},
		{"unsorted input", []float64{0.2, 0.9, 0.5, 0.7}, []bool{true, false, true, false}, 0.5*(1.0/3) + 0.5*(2.0/4)},
	}
	for _, c := range cases {
		if got := AveragePrecision(c.scores, c.pos); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestGridPNG(t *testing.T) {
	// two 2x2 gray images: all black (-1) and all white (1), in a 2-column grid.
	imgs := []float32{-1, -1, -1, -1, 1, 1, 1, 1}
	b, err := GridPNG(imgs, 2, 2, 2, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if bnd := img.Bounds(); bnd.Dx() != 2*3+1 || bnd.Dy() != 3+1 {
		t.Fatalf("grid size %v", bnd)
	}
	gray := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
	if gray(1, 1) != 0 || gray(4, 2) != 255 || gray(0, 0) != 128 || gray(3, 1) != 128 {
		t.Errorf("pixels: image 0 %d, image 1 %d, borders %d %d", gray(1, 1), gray(4, 2), gray(0, 0), gray(3, 1))
	}
	if _, err := GridPNG(imgs, 3, 2, 2, 1, 2); err == nil {
		t.Error("a wrong image count was accepted")
	}
}
