package image

import (
	"bytes"
	"fmt"
	goimage "image"
	"image/color"
	"image/png"
)

// GridPNG lays out n images (flat [n*h*w*c] in [-1, 1], channels last, c = 1 or 3) in rows of cols,
// separated by a 1-pixel grey border, and encodes them as a PNG.
func GridPNG(imgs []float32, n, h, w, c, cols int) ([]byte, error) {
	if n < 1 || cols < 1 || len(imgs) != n*h*w*c || (c != 1 && c != 3) {
		return nil, fmt.Errorf("grid: %d values for %d images of %dx%dx%d in %d columns", len(imgs), n, h, w, c, cols)
	}
	cols = min(cols, n) // more columns than images would only widen the picture with border
	rows := (n + cols - 1) / cols
	out := goimage.NewRGBA(goimage.Rect(0, 0, cols*(w+1)+1, rows*(h+1)+1))
	border := color.RGBA{128, 128, 128, 255}
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			out.SetRGBA(x, y, border)
		}
	}
	byteOf := func(v float32) uint8 {
		f := (float64(v) + 1) * 127.5
		if f < 0 {
			f = 0
		} else if f > 255 {
			f = 255
		}
		return uint8(f + 0.5)
	}
	for i := 0; i < n; i++ {
		ox, oy := 1+(i%cols)*(w+1), 1+(i/cols)*(h+1)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := imgs[((i*h+y)*w+x)*c:]
				px := color.RGBA{byteOf(p[0]), byteOf(p[0]), byteOf(p[0]), 255}
				if c == 3 {
					px.G, px.B = byteOf(p[1]), byteOf(p[2])
				}
				out.SetRGBA(ox+x, oy+y, px)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
