package learn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Examples is an evaluation set as the estimator sees it (a family's sentences or images).
type Examples interface {
	// Groups splits positions (indices into the set, repeats allowed) into runs that share one graph
	// shape, in a deterministic order; each is a list of positions into examples.
	Groups(examples []int) [][]int
	// Rows lays out the examples (indices into the set) each repeated P times, rows g*P .. g*P+P-1 for the
	// g-th, padded to size rows (the padding's results are ignored), as the family's graph inputs.
	Rows(examples []int, P, size int) []any
}

// CallRows is an optional part of Examples: the chain rows per call for the group of example (the text
// family lowers it for long sentences, whose rows cost more), given the estimator's RowsPerCall.
type CallRows interface {
	CallRows(example, rowsPerCall int) int
}

// Estimator are the settings of the posterior fit and the likelihood estimate, declared once: each
// family's evaluation settings embed them and add their own (text.EvalConfig, image.LikelihoodConfig,
// image.EvalConfig), and every result reports them under these keys.
type Estimator struct {
	Chains            int     `json:"posterior_chains"`   // P: posterior chains per example
	K1                int     `json:"k1"`                 // their Langevin steps (by default the model's K1)
	S1                float64 `json:"s1"`                 // their step size (by default the model's s1)
	ImportanceSamples int     `json:"importance_samples"` // S: samples of q(z|x) per example (rounded up to a multiple of P)
	SigmaFloor        float64 `json:"sigma_floor"`        // lower bound on each sigma of q(z|x)
	// RowsPerCall is the most chain rows per graph call (a multiple of P is used; text scales it down for
	// buckets longer than RowsReferenceLen, images use max(batch, P)); a group of fewer examples takes
	// the power of two at or above its count (CallSize).
	RowsPerCall int `json:"rows_per_call"`
}

// Default estimator settings of `lebm eval` (DESIGN.md): P posterior chains, S importance samples, M_Z
// samples of N(0, I) for log Z, the floor on q(z|x)'s standard deviations, chain rows per graph call.
const (
	DefaultEvalChains  = 16
	DefaultEvalSamples = 64
	DefaultLogZSamples = 100000
	DefaultSigmaFloor  = 0.05
	DefaultRowsPerCall = 256
)

// Fit is q(z|x) = N(mu_x, diag sigma_x^2) fitted to the end points of P posterior chains per example, and
// (when scored) the importance-sampled log p(x); all flat over the examples in the order given.
type Fit struct {
	Mu, Sigma []float64 // [n*d]
	LogPX     []float64 // [n] importance-sampled log p(x)
	LogPXSE   []float64 // [n] its Monte Carlo standard error (delta method: sd(w) / (sqrt(S) mean(w)))
	Recon     []float64 // [n] E_{p(z|x)} log p(x|z), self-normalised importance sampling
	Sample    []float64 // [n*d] one z ~ q(z|x) per example (for the MI estimator)
	Ends      []float32 // [n*P*d] the chains' end points, example g's in rows g*P .. g*P+P-1
	// Displacement is the mean over examples and chains of ||z_K - z_0||.
	Displacement float64
}

// ChainStart gives the evaluation chains' starting points for a call's rows (flat [rows*d]); nil means
// N(0, I) draws from the estimator's generator.
type ChainStart func(data []any, rows int, rng *rand.Rand) ([]float32, error)

// FitAndScore fits q(z|x) for the examples idx of set (repeats allowed) from P posterior chains each, and
// when score is set estimates log p(x) by importance sampling from q:
//
//	log p(x) = logsumexp_s [log p(x|z_s) + f(z_s) - log Z + log p0(z_s) - log q(z_s|x)] - log S.
//
// The chains target the model's posterior (prior weight 1) with the core's S1End schedule. report is
// called with the number of chain rows done.
func (c *Core) FitAndScore(set Examples, idx []int, e Estimator, logZ float64, rng *rand.Rand, score bool, start ChainStart, report func(int)) (*Fit, error) {
	d, P := c.Config.ZDim, e.Chains
	if P < 2 {
		return nil, fmt.Errorf("need at least 2 posterior chains per example to fit q(z|x), got %d", P)
	}
	n := len(idx)
	f := &Fit{Mu: make([]float64, n*d), Sigma: make([]float64, n*d), LogPX: make([]float64, n), LogPXSE: make([]float64, n), Recon: make([]float64, n),
		Sample: make([]float64, n*d), Ends: make([]float32, n*P*d)}
	rounds := (e.ImportanceSamples + P - 1) / P
	err := c.chainEnds(set, idx, e, rng, start, func(group []int, data []any, rows int, z, z0 []float32) error {
		f.fitGroup(group, z, z0, d, P, e.SigmaFloor, n, rng)
		for g, pos := range group {
			copy(f.Ends[pos*P*d:(pos+1)*P*d], z[g*P*d:(g+1)*P*d])
		}
		report(len(group) * P)
		if score {
			return c.scoreGroup(f, group, data, rows, d, P, rounds, logZ, rng)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PosteriorMeans returns, for the examples idx of set, the mean of e.Chains posterior-chain end points
// each (e.K1 steps of size e.S1, prior weight 1, from start or N(0, I)): the posterior mean E[z|x] by
// Monte Carlo, flat [len(idx)*d]. It runs the chains as FitAndScore does and allows a single chain.
func (c *Core) PosteriorMeans(set Examples, idx []int, e Estimator, rng *rand.Rand, start ChainStart) ([]float32, error) {
	d, P := c.Config.ZDim, e.Chains
	if P < 1 {
		return nil, fmt.Errorf("the posterior mean needs at least one chain per example, got %d", P)
	}
	mean := make([]float32, len(idx)*d)
	err := c.chainEnds(set, idx, e, rng, start, func(group []int, _ []any, _ int, z, _ []float32) error {
		for g, pos := range group {
			for p := 0; p < P; p++ {
				for j := 0; j < d; j++ {
					mean[pos*d+j] += z[(g*P+p)*d+j] / float32(P)
				}
			}
		}
		return nil
	})
	return mean, err
}

// chainEnds runs e.Chains posterior chains for each example of idx, RowsPerCall rows per call (rows
// g*P .. g*P+P-1 for the call's g-th example, padded), and gives each call's end points z and starts z0
// (flat [rows*d]) to done with the call's positions into idx and its data.
func (c *Core) chainEnds(set Examples, idx []int, e Estimator, rng *rand.Rand, start ChainStart, done func(group []int, data []any, rows int, z, z0 []float32) error) error {
	d, P := c.Config.ZDim, e.Chains
	for _, positions := range set.Groups(idx) {
		rpc := e.RowsPerCall
		if cr, ok := set.(CallRows); ok && len(positions) > 0 {
			rpc = cr.CallRows(idx[positions[0]], rpc)
		}
		G := CallSize(len(positions), max(rpc/P, 1)) // examples per call
		for s := 0; s < len(positions); s += G {
			group := positions[s:min(s+G, len(positions))]
			examples := make([]int, len(group))
			for g, pos := range group {
				examples[g] = idx[pos]
			}
			rows := G * P
			data := set.Rows(examples, P, rows)
			var z0 []float32
			var err error
			if start != nil {
				if z0, err = start(data, rows, rng); err != nil {
					return err
				}
			} else {
				z0 = sampler.StandardNormal(rng, rows*d)
			}
			z, err := c.InferPosterior(data, rows, z0, e.K1, e.S1, 1, rng, -1)
			if err != nil {
				return err
			}
			if err := done(group, data, rows, z, z0); err != nil {
				return err
			}
		}
	}
	return nil
}

// CallSize is how many of n items a graph call takes, at most limit: the power of two at or above n, so
// that a small job is not padded to the limit and the shapes compiled stay few (one per power of two).
func CallSize(n, limit int) int {
	size := 1
	for size < n && size < limit {
		size *= 2
	}
	return min(size, limit)
}

// fitGroup fits q(z|x) of the group's examples to their P chain ends (rows g*P ..), with one draw each.
func (f *Fit) fitGroup(group []int, z, z0 []float32, d, P int, floor float64, n int, rng *rand.Rand) {
	for g, pos := range group {
		var disp float64
		for p := 0; p < P; p++ {
			var sq float64
			for j := 0; j < d; j++ {
				v := float64(z[(g*P+p)*d+j] - z0[(g*P+p)*d+j])
				sq += v * v
			}
			disp += math.Sqrt(sq)
		}
		f.Displacement += disp / float64(P) / float64(n)
		for j := 0; j < d; j++ {
			var s1, s2 float64
			for p := 0; p < P; p++ {
				v := float64(z[(g*P+p)*d+j])
				s1 += v
				s2 += v * v
			}
			mu := s1 / float64(P)
			vr := (s2 - float64(P)*mu*mu) / float64(P-1)
			f.Mu[pos*d+j] = mu
			f.Sigma[pos*d+j] = math.Max(math.Sqrt(math.Max(vr, 0)), floor)
		}
	}
	for _, pos := range group { // one draw of q per example for the MI estimator
		for j := 0; j < d; j++ {
			f.Sample[pos*d+j] = f.Mu[pos*d+j] + f.Sigma[pos*d+j]*rng.NormFloat64()
		}
	}
}

// FitEnds fits q(z|x) to the chain end points of n examples (z flat [n*P*d], example g's in rows g*P ..
// g*P+P-1) as FitAndScore fits them, with one draw of each q(z|x) in Sample (no score, no displacement).
func FitEnds(z []float32, n, d, P int, floor float64, rng *rand.Rand) *Fit {
	f := &Fit{Mu: make([]float64, n*d), Sigma: make([]float64, n*d), Sample: make([]float64, n*d)}
	group := make([]int, n)
	for i := range group {
		group[i] = i
	}
	f.fitGroup(group, z, z, d, P, floor, n, rng)
	return f
}

// scoreGroup estimates log p(x) of the group's examples from rounds x P draws of their q(z|x).
func (c *Core) scoreGroup(f *Fit, group []int, data []any, rows, d, P, rounds int, logZ float64, rng *rand.Rand) error {
	logw := make([][]float64, len(group))
	lpxs := make([][]float64, len(group))
	zs := make([]float32, rows*d)
	logq := make([]float64, rows)
	for round := 0; round < rounds; round++ {
		for r := range logq {
			g := r / P
			if g >= len(group) {
				continue
			}
			pos := group[g]
			var lq float64
			for j := 0; j < d; j++ {
				e := rng.NormFloat64()
				mu, sg := f.Mu[pos*d+j], f.Sigma[pos*d+j]
				zs[r*d+j] = float32(mu + sg*e)
				lq += -0.5*e*e - math.Log(sg) - 0.5*prior.Log2Pi
			}
			logq[r] = lq
		}
		lpx, err := c.LogPX(data, zs, rows)
		if err != nil {
			return err
		}
		fz, err := c.F(zs, rows)
		if err != nil {
			return err
		}
		for r := range logq {
			g := r / P
			if g >= len(group) {
				continue
			}
			var sq float64
			for j := 0; j < d; j++ {
				sq += float64(zs[r*d+j]) * float64(zs[r*d+j])
			}
			logp0 := -0.5*sq - 0.5*float64(d)*prior.Log2Pi
			logw[g] = append(logw[g], float64(lpx[r])+float64(fz[r])-logZ+logp0-logq[r])
			lpxs[g] = append(lpxs[g], float64(lpx[r]))
		}
	}
	for g, pos := range group {
		f.LogPX[pos], f.LogPXSE[pos], _ = prior.LogMeanExp(logw[g])
		S := float64(len(logw[g]))
		for s, w := range logw[g] { // self-normalised weights w_s / sum w: an estimate of E_{p(z|x)} log p(x|z)
			f.Recon[pos] += math.Exp(w-f.LogPX[pos]) / S * lpxs[g][s]
		}
	}
	return nil
}

// LogSumExp is log sum_i exp(x_i), computed stably (-Inf for no terms or all -Inf).
func LogSumExp(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	if math.IsInf(mx, -1) {
		return mx
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// MeanSE is the mean of x and its standard error sqrt(Var(x) / n), the variance over the n values.
func MeanSE(x []float64) (mean, se float64) {
	n := float64(len(x))
	var sum, sq float64
	for _, v := range x {
		sum += v
		sq += v * v
	}
	mean = sum / n
	return mean, math.Sqrt(math.Max(sq/n-mean*mean, 0) / n)
}
