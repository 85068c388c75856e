package interpolate

import (
	"fmt"
	"github.com/lebm/lebm/image"
	"strconv"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// ImageResult is what `lebm interpolate --json` prints for an image model.
type ImageResult struct {
	File   string `json:"file"`
	Images [2]int `json:"test_images"`
	Steps  int    `json:"steps"`
}

// runImage interpolates between the posterior means of two test images given by index and writes the
// row g((1 - a) z1 + a z2), a = 0 .. 1, between the two originals, as a PNG.
func runImage(opts *Options, run *run.Run) error {
	m, info := run.Image, run.ImageInfo
	data, err := clix.LoadImageSplits(info, "", opts.Stderr, false)
	if err != nil {
		return err
	}
	var idx [2]int
	for i, s := range []string{opts.First, opts.Second} {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v >= data.Test.N() {
			return fmt.Errorf("for an image model the endpoints are test image indices 0..%d, got %q", data.Test.N()-1, s)
		}
		idx[i] = v
	}
	x := data.Test.Float(idx[:])
	ec := opts.Posterior.ImageEvalConfig(m.Config)
	z, err := m.PosteriorMeans(x, 2, ec, ec.Rand())
	if err != nil {
		return err
	}
	d, n := m.Config.ZDim, opts.Steps
	line, _ := learn.Line(z[:d], z[d:], n)
	g, err := m.Generate(line, n)
	if err != nil {
		return err
	}
	P := m.Config.Pixels()
	row := append(append(append([]float32{}, x[:P]...), g...), x[P:]...)
	if err := image.WriteGrid(opts.Out, row, n+2, n+2, m.Config); err != nil {
		return err
	}
	res := ImageResult{File: opts.Out, Images: idx, Steps: n}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, res)
	}
	fmt.Fprintf(opts.Stdout, "test images %d and %d with %d interpolated reconstructions between them written to %s\n", idx[0], idx[1], n, opts.Out)
	return nil
}
