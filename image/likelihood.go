package image

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
)

// LikelihoodConfig are the settings of the importance-sampled log p(x) of images; every result reports
// them.
type LikelihoodConfig struct {
	Images int `json:"images"` // the first N images of the set (0 = all)
	learn.Estimator
	LogZSamples int    `json:"log_z_samples"` // M_Z: samples of N(0, I) for log Z
	Seed        uint64 `json:"seed"`
}

// DefaultLikelihoodConfig: 8 chains of the model's length per image, 64 importance samples, 100k
// samples for log Z (the text family's defaults, fewer chains: images cost more per chain step).
func DefaultLikelihoodConfig(c Config) LikelihoodConfig {
	return LikelihoodConfig{Estimator: learn.Estimator{Chains: 8, K1: c.K1, S1: c.S1, ImportanceSamples: 64, SigmaFloor: 0.05},
		LogZSamples: 100000, Seed: 1}
}

// LikelihoodResult is the log-likelihood of a set of images with how it was estimated.
type LikelihoodResult struct {
	Split  string  `json:"split"`
	Images int     `json:"images"`
	NLL    float64 `json:"nll"`    // nats per image: -mean log p(x), the density on [-1, 1]^D with its Gaussian constant
	NLLSE  float64 `json:"nll_se"` // standard error of the mean over images (log Z's own error, LogZ.StdErr, comes on top)
	// BitsPerDim is (NLL + D ln 128) / (D ln 2): the density read as a probability of 8-bit pixels, each
	// [-1, 1] bin of width 2/256 (no dequantization noise: an approximation, good when the density is
	// smooth at the bin's scale).
	BitsPerDim float64          `json:"bits_per_dim"`
	Recon      float64          `json:"recon"` // mean E_p(z|x)[-log p(x|z)] in nats (self-normalised IS)
	LogZ       prior.LogZ       `json:"log_z"`
	Settings   LikelihoodConfig `json:"settings"`
}

// Format renders r for people, stating how it was estimated.
func (r *LikelihoodResult) Format() string {
	s := r.Settings
	return fmt.Sprintf("%s log-likelihood (%d images):\n"+
		"  NLL %.2f nats/image (s.e. %.2f), %.4f bits/dim  importance sampling, S=%d samples of q(z|x) per image\n"+
		"  q(z|x): diagonal Gaussian fitted to P=%d posterior chains of %d Langevin steps (step %g) from N(0, I), sigma floor %g\n"+
		"  log Z %.4f (s.e. %.4f) from %d samples of N(0, I); bits/dim read the density on [-1, 1] as 8-bit pixels (bins of 2/256)\n",
		r.Split, r.Images, r.NLL, r.NLLSE, r.BitsPerDim, s.ImportanceSamples, s.Chains, s.K1, s.S1, s.SigmaFloor,
		r.LogZ.Value, r.LogZ.StdErr, r.LogZ.Samples)
}

// imageSet is images as the estimator's Examples: one graph shape; a call's padding repeats its first
// image. float returns the images of the given indices, flat, in [-1, 1].
type imageSet struct {
	m     *Model
	float func(idx []int) []float32
}

// flatImages is the imageSet of images x (flat [n*pixels]).
func flatImages(m *Model, x []float32) imageSet {
	D := m.Config.Pixels()
	return imageSet{m, func(idx []int) []float32 {
		out := make([]float32, 0, len(idx)*D)
		for _, i := range idx {
			out = append(out, x[i*D:(i+1)*D]...)
		}
		return out
	}}
}

func (s imageSet) Groups(idx []int) [][]int {
	pos := make([]int, len(idx))
	for i := range pos {
		pos[i] = i
	}
	return [][]int{pos}
}

func (s imageSet) Rows(examples []int, P, size int) []any {
	rows := make([]int, size)
	for r := range rows {
		rows[r] = examples[0]
		if g := r / P; g < len(examples) {
			rows[r] = examples[g]
		}
	}
	return []any{s.m.images(s.float(rows), size)}
}

// LogLikelihood estimates log p(x) of the first lc.Images images of set (the split named split) by
// importance sampling, as the text family's NLL: q(z|x) is a diagonal Gaussian fitted to P posterior
// chains per image, and
//
//	log p(x) = logsumexp_s [log p(x|z_s) + f(z_s) - log Z + log p0(z_s) - log q(z_s|x)] - log S,
//
// with log p(x|z) = -||x - g(z)||^2 / (2 sigma^2) - (D/2) log(2 pi sigma^2), D = H W C.
func (m *Model) LogLikelihood(set *corpora.Images, split string, lc LikelihoodConfig, progress func(done, total int)) (*LikelihoodResult, error) {
	switch {
	case lc.Chains < 2:
		return nil, fmt.Errorf("the log-likelihood fits q(z|x) to the posterior chains: --chains must be at least 2, got %d", lc.Chains)
	case lc.K1 < 0 || !learn.PositiveFloat32(lc.S1):
		return nil, fmt.Errorf("the log-likelihood's chains need --k1 0 or more and --s1 positive and finite in float32, got %d and %v", lc.K1, lc.S1)
	case lc.ImportanceSamples < 1 || lc.LogZSamples < 1:
		return nil, fmt.Errorf("--samples and --logz-samples must be at least 1, got %d and %d", lc.ImportanceSamples, lc.LogZSamples)
	case !learn.PositiveFloat32(lc.SigmaFloor):
		return nil, fmt.Errorf("--sigma-floor must be positive and finite in float32, got %v", lc.SigmaFloor)
	}
	n := set.N()
	if lc.Images > 0 && lc.Images < n {
		n = lc.Images
	}
	if n < 1 {
		return nil, fmt.Errorf("%s: no images to evaluate", set.Name)
	}
	rng := rand.New(rand.NewPCG(lc.Seed, 0xe7a2))
	logZ, err := m.EstimateLogZ(lc.LogZSamples, rng)
	if err != nil {
		return nil, err
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	lc.Estimator = m.estimator(lc.Estimator) // reported as run
	done, total := 0, n*lc.Chains
	fit, err := m.Core.FitAndScore(imageSet{m, set.Float}, idx, lc.Estimator, logZ.Value, rng, true, nil, func(rows int) {
		done += rows
		if progress != nil {
			progress(done, total)
		}
	})
	if err != nil {
		return nil, err
	}
	D := float64(m.Config.Pixels())
	constant := -D / 2 * math.Log(2*math.Pi*m.Config.Sigma*m.Config.Sigma) // the part of log p(x|z) LogPX leaves out
	res := &LikelihoodResult{Split: split, Images: n, LogZ: logZ, Settings: lc}
	nll := make([]float64, n)
	for i, lp := range fit.LogPX {
		nll[i] = -(lp + constant)
		res.Recon += -(fit.Recon[i] + constant)
	}
	res.NLL, res.NLLSE = learn.MeanSE(nll)
	res.Recon /= float64(n)
	res.BitsPerDim = (res.NLL + D*math.Log(128)) / (D * math.Ln2)
	return res, learn.CheckResult(split+" log-likelihood", "NLL", res.NLL, "its standard error", res.NLLSE, "reconstruction term", res.Recon,
		"log Z", logZ.Value)
}
