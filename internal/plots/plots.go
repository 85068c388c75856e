package plots

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Picture size: WidthPx x HeightPx pixels at DPI.
const (
	WidthPx  = 900
	HeightPx = 600
	DPI      = 96
)

// Series is one named curve.
type Series struct {
	Name string
	X, Y []float64
}

// Add appends the point (x, *y); nothing when y is nil (a record without the value).
func (s *Series) Add(x float64, y *float64) {
	if y != nil {
		s.X, s.Y = append(s.X, x), append(s.Y, *y)
	}
}

// AddInt is Add of an integer value.
func (s *Series) AddInt(x float64, y *int) {
	if y != nil {
		s.X, s.Y = append(s.X, x), append(s.Y, float64(*y))
	}
}

var palette = []color.RGBA{
	{R: 31, G: 119, B: 180, A: 255}, {R: 255, G: 127, B: 14, A: 255}, {R: 44, G: 160, B: 44, A: 255},
	{R: 214, G: 39, B: 40, A: 255}, {R: 148, G: 103, B: 189, A: 255}, {R: 140, G: 86, B: 75, A: 255},
	{R: 227, G: 119, B: 194, A: 255}, {R: 127, G: 127, B: 127, A: 255},
}

// Curves writes a line plot of the series to path.
func Curves(path, title, xLabel, yLabel string, series []Series) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Add(plotter.NewGrid())
	for i, s := range series {
		if len(s.X) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	p.Legend.Top = true
	return save(p, path)
}

// PrincipalPlane returns the rows of x ([n][d], n >= 3) projected on their first two principal components
// (the second coordinate 0 when d = 1) and the variances along them.
func PrincipalPlane(x [][]float64) (pts [][2]float64, vars [2]float64, err error) {
	n := len(x)
	if n < 3 {
		return nil, vars, fmt.Errorf("projection needs at least 3 points, got %d", n)
	}
	d := len(x[0])
	data := mat.NewDense(n, d, nil)
	for i, row := range x {
		data.SetRow(i, row)
	}
	var pc stat.PC
	if !pc.PrincipalComponents(data, nil) {
		return nil, vars, fmt.Errorf("principal components: decomposition failed")
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	k := min(2, d)
	var proj mat.Dense
	proj.Mul(data, vecs.Slice(0, d, 0, k))
	v := pc.VarsTo(nil)
	pts = make([][2]float64, n)
	for i := range pts {
		pts[i][0] = proj.At(i, 0)
		if k > 1 {
			pts[i][1] = proj.At(i, 1)
		}
	}
	copy(vars[:], v[:k])
	return pts, vars, nil
}

// Projection writes a scatter plot of the first two principal components of the rows of x ([n][d]),
// coloured by label (labels may be nil; names[label] is the legend entry).
func Projection(path, title string, x [][]float64, labels []int, names []string) error {
	pts, vars, err := PrincipalPlane(x)
	if err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("PC 1 (variance %.3g)", vars[0])
	if len(x[0]) > 1 {
		p.Y.Label.Text = fmt.Sprintf("PC 2 (variance %.3g)", vars[1])
	}
	groups := map[int]plotter.XYs{}
	var order []int
	for i, pt := range pts {
		g := 0
		if labels != nil {
			g = labels[i]
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], plotter.XY{X: pt[0], Y: pt[1]})
	}
	for _, g := range order {
		sc, err := plotter.NewScatter(groups[g])
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = palette[(g%len(palette)+len(palette))%len(palette)]
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		if labels != nil && g >= 0 && g < len(names) {
			p.Legend.Add(names[g], sc)
		}
	}
	return save(p, path)
}

func save(p *plot.Plot, path string) error {
	w := vg.Length(WidthPx) * vg.Inch / DPI
	h := vg.Length(HeightPx) * vg.Inch / DPI
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
