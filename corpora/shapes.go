package corpora

import "math/rand/v2"

// The embedded image set: procedurally drawn shapes, generated (not stored) from a fixed seed, so that the
// image family runs with no data at all. Each 16x16 RGB image holds one filled shape (label 0 disk,
// 1 square, 2 triangle) of one of 6 colours, of random size and position, on a dark background whose
// shade varies per image.
const (
	ShapesSize  = 16
	ShapesTrain = 2000
	ShapesTest  = 500
	shapesSeed  = 0x5a4e5
)

// ShapeNames are the labels of the embedded shapes.
var ShapeNames = []string{"disk", "square", "triangle"}

var shapeColours = [][3]uint8{{230, 60, 50}, {60, 200, 80}, {70, 110, 240}, {240, 210, 60}, {210, 80, 220}, {60, 210, 220}}

// EmbeddedShapes returns the embedded image set's training and test splits.
func EmbeddedShapes() *ImageSplits {
	rng := rand.New(rand.NewPCG(shapesSeed, 1))
	return &ImageSplits{Train: drawShapes(rng, ShapesTrain, "embedded shapes (train)"), Test: drawShapes(rng, ShapesTest, "embedded shapes (test)")}
}

func drawShapes(rng *rand.Rand, n int, name string) *Images {
	const s = ShapesSize
	out := &Images{Name: name, H: s, W: s, C: 3, Pix: make([]uint8, n*s*s*3), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		kind := rng.IntN(3)
		col := shapeColours[rng.IntN(len(shapeColours))]
		bg := uint8(10 + rng.IntN(40))
		r := 3 + rng.Float64()*3 // half-size 3..6 pixels
		cx := r + rng.Float64()*(s-2*r)
		cy := r + rng.Float64()*(s-2*r)
		out.Labels[i] = kind
		img := out.Pix[i*s*s*3 : (i+1)*s*s*3]
		for y := 0; y < s; y++ {
			for x := 0; x < s; x++ {
				px, py := float64(x)+0.5-cx, float64(y)+0.5-cy
				var in bool
				switch kind {
				case 0:
					in = px*px+py*py <= r*r
				case 1:
					in = px >= -r && px <= r && py >= -r && py <= r
				default: // apex up: |px| <= (py + r) / 2 for py in [-r, r]
					in = py >= -r && py <= r && 2*abs(px) <= py+r
				}
				p := img[(y*s+x)*3 : (y*s+x)*3+3]
				if in {
					p[0], p[1], p[2] = col[0], col[1], col[2]
				} else {
					p[0], p[1], p[2] = bg, bg, bg
				}
			}
		}
	}
	return out
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
