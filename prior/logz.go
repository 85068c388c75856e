package prior

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// LogZChunk is the number of p0 samples evaluated per graph call in EstimateLogZ.
const LogZChunk = 4096

// Evaluator computes f_alpha on the host's batches of z.
type Evaluator struct {
	p    *Prior
	exec *model.Exec
}

// NewEvaluator compiles f_alpha for z batches.
func NewEvaluator(backend compute.Backend, scope *model.Scope, p *Prior) (*Evaluator, error) {
	exec, err := model.NewExec(backend, scope.Store(), func(_ *model.Scope, z *graph.Node) *graph.Node {
		return p.F(z)
	})
	if err != nil {
		return nil, err
	}
	return &Evaluator{p: p, exec: exec}, nil
}

// F returns f_alpha(z) for z flat [n*d].
func (e *Evaluator) F(z []float32, n int) ([]float32, error) {
	if !e.p.Trainable() {
		return make([]float32, n), nil
	}
	out, err := e.exec.Exec(tensors.FromFlatDataAndDimensions(z, n, e.p.ZDim))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// LogZ is an estimate of log Z(alpha) with how it was obtained.
type LogZ struct {
	Value   float64 `json:"value"`
	Samples int     `json:"samples"` // M_Z: number of p0 samples
	StdErr  float64 `json:"std_err"` // delta-method standard error of the estimate
	// ESS is the effective sample size (sum w)^2 / sum w^2 of the weights w = exp(f): when a few samples
	// of N(0, I) carry all the weight, p_alpha has mass where p0 has almost none and the estimate (hence
	// the NLL) is not to be trusted, whatever its standard error says.
	ESS    float64 `json:"ess"`
	Method string  `json:"method"`
}

// MinLogZESS is the effective sample size under which a log Z estimate is reported as unreliable.
const MinLogZESS = 100

// Reliable reports whether the estimate's effective sample size is at least MinLogZESS (always true for
// the exact gaussian value).
func (l LogZ) Reliable() bool { return l.Samples == 0 || l.ESS >= MinLogZESS }

// EstimateLogZ estimates log Z(alpha) = log E_{z~N(0,I)}[exp f_alpha(z)] by logsumexp over m samples of
// N(0, I) minus log m. The standard error is sd(w)/(sqrt(m) mean(w)) with w = exp(f). For the gaussian
// prior it returns exactly 0.
func (e *Evaluator) EstimateLogZ(m int, rng *rand.Rand) (LogZ, error) {
	if !e.p.Trainable() {
		return LogZ{Value: 0, Samples: 0, Method: "exact (gaussian prior: Z = 1)"}, nil
	}
	if m < 1 {
		return LogZ{}, fmt.Errorf("log Z: need at least one sample, got %d", m)
	}
	fs := make([]float64, 0, m)
	d := e.p.ZDim
	z := make([]float32, LogZChunk*d)
	for len(fs) < m {
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		f, err := e.F(z, LogZChunk)
		if err != nil {
			return LogZ{}, err
		}
		for _, v := range f {
			if len(fs) < m {
				fs = append(fs, float64(v))
			}
		}
	}
	value, se, ess := LogMeanExp(fs)
	return LogZ{Value: value, Samples: m, StdErr: se, ESS: ess,
		Method: fmt.Sprintf("logsumexp over %d samples of N(0, I)", m)}, nil
}

// LogMeanExp is the Monte Carlo estimate log((1/m) sum_i w_i), w_i = exp(x_i), computed stably, with its
// delta-method standard error sd(w) / (sqrt(m) mean(w)) and the effective sample size (sum w)^2 / sum w^2:
// log Z from f over samples of N(0, I), log p(x) from importance weights.
func LogMeanExp(x []float64) (value, se, ess float64) {
	m := len(x)
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	var s1, s2 float64
	for _, v := range x {
		w := math.Exp(v - mx)
		s1 += w
		s2 += w * w
	}
	mean := s1 / float64(m)
	variance := s2/float64(m) - mean*mean
	if m > 1 && variance > 0 {
		se = math.Sqrt(variance/float64(m)) / mean
	}
	return mx + math.Log(mean), se, s1 * s1 / s2
}
