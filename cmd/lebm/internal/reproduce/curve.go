package reproduce

import (
	"os"
	"path/filepath"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/lm"
	"github.com/lebm/lebm/cmd/lebm/internal/sweep"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/text"
)

// CurveFile and CurveTimeFile are the reproduction's learning curves in its directory: validation NLL of
// every stage against iterations and against the stage's wall-clock minutes.
const (
	CurveFile     = "curve.png"
	CurveTimeFile = "curve-time.png"
)

// drawCurves plots the latent models' diagnoses (importance-sampled NLL) and the LM's validation scores
// (exact NLL) on the first validation sentences of each, when they have any.
func drawCurves(out string) error {
	var byIt, byTime []plots.Series
	add := func(name string, step []int, nll, elapsed []float64) {
		a, b := plots.Series{Name: name}, plots.Series{Name: name}
		for i := range step {
			a.X, a.Y = append(a.X, float64(step[i])), append(a.Y, nll[i])
			b.X, b.Y = append(b.X, elapsed[i]/60), append(b.Y, nll[i])
		}
		if len(a.X) > 0 {
			byIt, byTime = append(byIt, a), append(byTime, b)
		}
	}
	for _, stage := range []string{StageEBM, StageGaussian} {
		diags, err := sweep.ReadDiagnoses(filepath.Join(out, stage, train.LogFile))
		if err != nil {
			return err
		}
		var step []int
		var nll, elapsed []float64
		for _, d := range diags {
			step, nll, elapsed = append(step, d.Step), append(nll, d.ValidNLL), append(elapsed, d.Elapsed)
		}
		add(stage+" prior (importance-sampled)", step, nll, elapsed)
	}
	var points []text.LMPoint
	if path := filepath.Join(out, StageLM, lm.LogFile); exists(path) { // a budget's LM scores itself as it trains
		var err error
		if points, err = clix.ReadJSONLines[text.LMPoint](path); err != nil {
			return err
		}
	}
	var step []int
	var nll, elapsed []float64
	for _, p := range points {
		step, nll, elapsed = append(step, p.Step), append(nll, p.ValidNLL), append(elapsed, p.Elapsed)
	}
	add("real-data LM (exact)", step, nll, elapsed)
	if len(byIt) == 0 {
		return nil
	}
	const title = "validation NLL, first validation sentences of the selection"
	if err := plots.Curves(filepath.Join(out, CurveFile), title, "iteration", "nats per sentence", byIt); err != nil {
		return err
	}
	return plots.Curves(filepath.Join(out, CurveTimeFile), title, "wall-clock minutes of the stage", "nats per sentence", byTime)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
