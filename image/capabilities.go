package image

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// What an image model can do at the product seam: sample, reconstruct and interpolate as PNG grids,
// evaluate, plot, and score anomalies.
var (
	_ run.Sampler       = (*Run)(nil)
	_ run.Reconstructor = (*Run)(nil)
	_ run.Interpolator  = (*Run)(nil)
	_ run.Evaluator     = (*Run)(nil)
	_ run.Plotter       = (*Run)(nil)
	_ run.AnomalyScorer = (*Run)(nil)
)

// posterior is the reconstruction setting of the posterior chains of p (their mean is z).
func (r *Run) posterior(p run.Posterior) (EvalConfig, error) {
	ec := DefaultEvalConfig(r.Model.Config)
	ec.Chains, ec.Seed, ec.K1, ec.S1 = p.Chains, p.Seed, p.K1, p.S1
	return ec, r.Model.chainMemory(ec.Estimator).Check()
}

// SampleReport is what `lebm sample` reports for an image model.
type SampleReport struct {
	File  string  `json:"file"`
	N     int     `json:"n"`
	Prior string  `json:"prior"`
	K0    int     `json:"k0"`
	S0    float64 `json:"s0"`

	sampler string
}

func (s *SampleReport) Format() string {
	return fmt.Sprintf("%d samples (prior %s: %s) written to %s\n", s.N, s.Prior, s.sampler, s.File)
}

// Sample draws z from the prior and writes the images g(z) as a PNG grid.
func (r *Run) Sample(req run.SampleRequest) (run.Report, error) {
	if req.Cols < 1 {
		return nil, fmt.Errorf("--cols must be at least 1, got %d", req.Cols)
	}
	m := r.Model
	if err := m.Config.ChainMemory(req.N, fmt.Sprintf("-n %d images generated at once", req.N)).Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(req.Seed, 0x5a3b))
	z, err := m.SamplePrior(req.N, req.K0, req.S0, rng, -1)
	if err != nil {
		return nil, err
	}
	x, err := m.Generate(z, req.N)
	if err != nil {
		return nil, err
	}
	if err := WriteGrid(req.Out, x, req.N, req.Cols, m.Config); err != nil {
		return nil, err
	}
	return &SampleReport{File: req.Out, N: req.N, Prior: m.Config.Prior, K0: req.K0, S0: req.S0, sampler: m.Core.PriorSampler(req.K0, req.S0)}, nil
}

// ReconReport is what `lebm reconstruct` reports for an image model.
type ReconReport struct {
	File   string  `json:"file"`
	Images int     `json:"images"`
	Chains int     `json:"chains"`
	K1     int     `json:"k1"`
	S1     float64 `json:"s1"`
	MSE    float64 `json:"mse"` // per pixel, [-1, 1] scale, of the images shown
}

func (r *ReconReport) Format() string {
	return fmt.Sprintf("%d test images and their reconstructions (posterior mean of %d chains of %d Langevin steps, s = %g; MSE %.5f per pixel on [-1, 1]) written to %s\n",
		r.Images, r.Chains, r.K1, r.S1, r.MSE, r.File)
}

// Reconstruct reconstructs the first req.Images test images (of the run's data, or of req.Input when not
// "-") and writes a grid of rows of originals, each followed by the row of their reconstructions.
func (r *Run) Reconstruct(req run.ReconstructRequest) (run.Report, error) {
	if req.Images < 1 || req.Cols < 1 {
		return nil, fmt.Errorf("--images and --cols must be at least 1, got %d and %d", req.Images, req.Cols)
	}
	m := r.Model
	override := ""
	if req.Input != "-" {
		override = req.Input
	}
	data, err := LoadSplitsUI(r.Info, override, req.UI)
	if err != nil {
		return nil, err
	}
	n := min(req.Images, data.Test.N())
	x := data.Test.FloatRange(0, n)
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	z, err := m.PosteriorMeans(x, n, ec, ec.Rand())
	if err != nil {
		return nil, err
	}
	g, err := m.Generate(z, n)
	if err != nil {
		return nil, err
	}
	var sse float64
	for i := range x {
		sse += float64((x[i] - g[i]) * (x[i] - g[i]))
	}
	P, cols := m.Config.Pixels(), req.Cols
	var grid []float32
	rows := 0
	for start := 0; start < n; start += cols {
		end := min(start+cols, n)
		for _, src := range [][]float32{x, g} {
			grid = append(grid, src[start*P:end*P]...)
			grid = append(grid, make([]float32, P*(cols-(end-start)))...) // mid-grey fills a short last row
			rows++
		}
	}
	if err := WriteGrid(req.Out, grid, rows*cols, cols, m.Config); err != nil {
		return nil, err
	}
	return &ReconReport{File: req.Out, Images: n, Chains: ec.Chains, K1: ec.K1, S1: ec.S1, MSE: sse / float64(len(x))}, nil
}

// InterpolationReport is what `lebm interpolate` reports for an image model.
type InterpolationReport struct {
	File   string `json:"file"`
	Images [2]int `json:"test_images"`
	Points int    `json:"points"`
}

func (i *InterpolationReport) Format() string {
	return fmt.Sprintf("test images %d and %d with %d interpolated reconstructions between them written to %s\n", i.Images[0], i.Images[1], i.Points, i.File)
}

// Interpolate interpolates between the posterior means of two test images given by index and writes the
// row g((1 - a) z1 + a z2), a = 0 .. 1, between the two originals, as a PNG.
func (r *Run) Interpolate(req run.InterpolateRequest) (run.Report, error) {
	m := r.Model
	data, err := LoadSplitsUI(r.Info, "", req.UI)
	if err != nil {
		return nil, err
	}
	var idx [2]int
	for i, s := range []string{req.First, req.Second} {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v >= data.Test.N() {
			return nil, fmt.Errorf("for an image model the endpoints are test image indices 0..%d, got %q", data.Test.N()-1, s)
		}
		idx[i] = v
	}
	x := data.Test.Float(idx[:])
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	if err := m.Config.ChainMemory(req.Points, fmt.Sprintf("--points %d generated at once", req.Points)).Check(); err != nil {
		return nil, err
	}
	z, err := m.PosteriorMeans(x, 2, ec, ec.Rand())
	if err != nil {
		return nil, err
	}
	d, n := m.Config.ZDim, req.Points
	line, _ := learn.Line(z[:d], z[d:], n)
	g, err := m.Generate(line, n)
	if err != nil {
		return nil, err
	}
	P := m.Config.Pixels()
	row := append(append(append([]float32{}, x[:P]...), g...), x[P:]...)
	if err := WriteGrid(req.Out, row, n+2, n+2, m.Config); err != nil {
		return nil, err
	}
	return &InterpolationReport{File: req.Out, Images: idx, Points: n}, nil
}

// AnomalyReport is what `lebm anomaly` reports.
type AnomalyReport struct {
	Checkpoint string `json:"checkpoint"`
	*AnomalyResult
}

func (a *AnomalyReport) Format() string {
	return fmt.Sprintf("checkpoint: %s\n%s", a.Checkpoint, a.AnomalyResult.Format())
}

// Anomaly scores the test images against the anomalous class (by default the one held out in training)
// and reports the AUPRC (the paper's MNIST protocol).
func (r *Run) Anomaly(req run.AnomalyRequest) (run.Report, error) {
	m := r.Model
	class := m.Config.HoldOut
	if req.ClassGiven {
		class = req.Class
	}
	if class < 0 {
		return nil, fmt.Errorf("%s was trained on every class: give the anomalous class with --class, or train with --hold-out", r.Dir)
	}
	data, err := LoadSplitsUI(r.Info, req.Data, req.UI)
	if err != nil {
		return nil, err
	}
	if data.Note != "" {
		req.Note("note: " + data.Note)
	}
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	ec.Images = req.Images
	bar := req.Bar(1, "anomaly scores", "images")
	res, err := m.Anomaly(data.Test, class, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if class != m.Config.HoldOut {
		req.Note(fmt.Sprintf("warning: class %d was not held out in training (held out: %d): the model has seen it", class, m.Config.HoldOut))
	}
	return &AnomalyReport{Checkpoint: r.Dir, AnomalyResult: res}, nil
}

// labelNames are the names of the classes of the run's data.
func (r *Run) labelNames() []string {
	if r.Info.Format == corpora.FormatEmbedded {
		return corpora.ShapeNames
	}
	return strings.Fields("0 1 2 3 4 5 6 7 8 9")
}
