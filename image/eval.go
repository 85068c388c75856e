package image

import (
	"fmt"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// EvalConfig says how images are reconstructed.
type EvalConfig struct {
	Images int // the first N images of the set (0 = all)
	// Chains posterior chains per image of K1 steps of size s1 (DefaultEvalConfig: the training K1 and
	// s1); their end points are averaged (the posterior mean). The importance-sampling settings are unused.
	learn.Estimator
	Seed uint64
}

// Rand is the generator of reconstruction's posterior chains, from Seed.
func (ec EvalConfig) Rand() *rand.Rand { return rand.New(rand.NewPCG(ec.Seed, 0xe7a1)) }

// DefaultEvalConfig reconstructs every image from the mean of 4 posterior chains of the training length.
func DefaultEvalConfig(c Config) EvalConfig {
	return EvalConfig{Estimator: learn.Estimator{Chains: 4, K1: c.K1, S1: c.S1}, Seed: 1}
}

// ReconResult is the reconstruction error of a set and how it was estimated.
type ReconResult struct {
	Split    string  `json:"split"`
	Images   int     `json:"images"`
	Chains   int     `json:"chains"`
	K1       int     `json:"k1"`
	S1       float64 `json:"s1"`
	MSE      float64 `json:"mse"`        // mean over images and pixels of (x - g(z_mean))^2, images in [-1, 1]
	MSE01    float64 `json:"mse_01"`     // the same with images in [0, 1] (MSE / 4)
	Baseline float64 `json:"baseline"`   // MSE of the training set's mean image ([-1, 1] scale)
	LogPX    float64 `json:"mean_logpx"` // mean log p_beta(x | z_mean) without its constant
}

// Format renders r for people, stating how it was estimated.
func (r *ReconResult) Format() string {
	return fmt.Sprintf("%s reconstruction (%d images, posterior mean of %d chains of %d Langevin steps, s = %g):\n"+
		"  MSE %.5f per pixel on [-1, 1] (%.5f on [0, 1]); mean-image baseline %.5f\n",
		r.Split, r.Images, r.Chains, r.K1, r.S1, r.MSE, r.MSE01, r.Baseline)
}

// forBatches calls f on the set's images in batches of the model's batch size; the last batch is filled
// up by repeating its first image (every batch has one shape) and f is told how many rows are real.
func (m *Model) forBatches(set *corpora.Images, n int, f func(idx []int, x []float32, real int) error) error {
	B := m.Config.Batch
	for start := 0; start < n; start += B {
		idx := make([]int, B)
		real := min(B, n-start)
		for i := range idx {
			if i < real {
				idx[i] = start + i
			} else {
				idx[i] = start
			}
		}
		if err := f(idx, set.Float(idx), real); err != nil {
			return err
		}
	}
	return nil
}

// PosteriorMeans returns, for images x (flat [n*pixels]), the mean of ec.Chains posterior-chain end points
// each (ec.K1 steps of size ec.S1 from N(0, I), noise from rng): the core's PosteriorMeans, flat [n*d].
func (m *Model) PosteriorMeans(x []float32, n int, ec EvalConfig, rng *rand.Rand) ([]float32, error) {
	if len(x) != n*m.Config.Pixels() {
		return nil, fmt.Errorf("posterior mean: %d pixel values for %d images of %d", len(x), n, m.Config.Pixels())
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return m.Core.PosteriorMeans(flatImages(m, x), idx, m.estimator(ec.Estimator), rng, nil)
}

// estimator is e with the image family's rows per graph call: a batch, or the chains if more.
func (m *Model) estimator(e learn.Estimator) learn.Estimator {
	e.RowsPerCall = max(m.Config.Batch, e.Chains)
	return e
}

// chainMemory is what a call of the estimator's posterior chains needs (see estimator).
func (m *Model) chainMemory(e learn.Estimator) learn.Memory {
	e = m.estimator(e)
	return m.Config.ChainMemory(e.RowsPerCall, fmt.Sprintf("--chains %d, the model's batch %d", e.Chains, m.Config.Batch))
}

// Reconstruct measures the reconstruction error of set from posterior means (see EvalConfig), against
// the mean-image baseline computed on train. progress, if not nil, is told the images done and the total.
func (m *Model) Reconstruct(set, train *corpora.Images, split string, ec EvalConfig, progress func(done, total int)) (*ReconResult, error) {
	n, err := m.evalImages(set, ec)
	if err != nil {
		return nil, err
	}
	if ec.Chains < 1 {
		return nil, fmt.Errorf("reconstruction needs at least one posterior chain, got %d", ec.Chains)
	}
	rng := ec.Rand()
	mean := MeanImage(train)
	P := set.Pixels()
	res := &ReconResult{Split: split, Images: n, Chains: ec.Chains, K1: ec.K1, S1: ec.S1}
	var sse, base float64
	err = m.forBatches(set, n, func(idx []int, x []float32, real int) error {
		z, err := m.PosteriorMeans(x, len(idx), ec, rng)
		if err != nil {
			return err
		}
		g, err := m.Generate(z, len(idx))
		if err != nil {
			return err
		}
		for i := 0; i < real*P; i++ {
			d := float64(x[i] - g[i])
			sse += d * d
			b := float64(x[i]) - mean[i%P]
			base += b * b
		}
		if progress != nil {
			progress(idx[0]+real, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.MSE = sse / float64(n*P)
	res.MSE01 = res.MSE / 4
	res.Baseline = base / float64(n*P)
	res.LogPX = -sse / (2 * m.Config.Sigma * m.Config.Sigma) / float64(n) // log p(x|z_mean) = -||x - g||^2 / (2 sigma^2)
	return res, learn.CheckResult(split+" reconstruction", "MSE", res.MSE)
}

// MeanImage is the per-pixel mean of set in [-1, 1], [pixels].
func MeanImage(set *corpora.Images) []float64 {
	P := set.Pixels()
	mean := make([]float64, P)
	for i, v := range set.Pix {
		mean[i%P] += float64(v)/127.5 - 1
	}
	for j := range mean {
		mean[j] /= float64(set.N())
	}
	return mean
}

// evalImages checks that set fits the model and returns how many of its images an evaluation uses: the
// first ec.Images (all when 0 or more than there are).
func (m *Model) evalImages(set *corpora.Images, ec EvalConfig) (int, error) {
	c := m.Config
	if set.H != c.Height || set.W != c.Width || set.C != c.Channels {
		return 0, fmt.Errorf("%s: images are %dx%dx%d, the model makes %dx%dx%d", set.Name, set.H, set.W, set.C, c.Height, c.Width, c.Channels)
	}
	n := set.N()
	if n == 0 {
		return 0, fmt.Errorf("%s: no images", set.Name)
	}
	if ec.Images > 0 && ec.Images < n {
		n = ec.Images
	}
	return n, nil
}

// Samples draws n images from the model: z from the prior chain (K0 steps of size s0; exact N(0, I) for
// the gaussian prior), x = g(z). Returns images flat [n*pixels] and z flat [n*d].
func (m *Model) Samples(n int, rng *rand.Rand) (x, z []float32, err error) {
	c := m.Config
	if z, err = m.SamplePrior(n, c.K0, c.S0, rng, -1); err != nil {
		return nil, nil, err
	}
	x, err = m.Generate(z, n)
	return x, z, err
}

// SampleFit compares the model's samples with data by two cheap Fréchet distances (not FID: no network
// features), each between Gaussians fitted to two sets of vectors:
//   - pixels: Samples images g(z), z from the prior chain (K0 steps of s0), against the first Images
//     images of the set, all in [-1, 1];
//   - latent: the same prior-chain z against posterior-chain z of those images (one chain each, from
//     N(0, I), K1 steps of s1): how well p_alpha(z) covers where the data's codes are (for the gaussian
//     prior: how far the aggregate posterior is from N(0, I)).
type SampleFit struct {
	Samples  int     `json:"samples"`
	Images   int     `json:"images"`
	K0       int     `json:"k0"`
	K1       int     `json:"k1"`
	PixelFD  float64 `json:"pixel_fd"`
	LatentFD float64 `json:"latent_fd"`
}

// Format renders f for people, stating how it was estimated.
func (f *SampleFit) Format() string {
	return fmt.Sprintf("sample fit (%d prior samples, K0 = %d; %d images, posterior chains of K1 = %d): Fréchet distance in pixels %.3f, in z %.4f\n"+
		"  (Gaussians fitted to each set; estimates shrink as the counts grow: compare models at equal counts)\n",
		f.Samples, f.K0, f.Images, f.K1, f.PixelFD, f.LatentFD)
}

// FitSamples computes SampleFit on the first ec.Images images of set (all when 0; at least 2) with as
// many samples.
func (m *Model) FitSamples(set *corpora.Images, ec EvalConfig) (*SampleFit, error) {
	n, err := m.evalImages(set, ec)
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, fmt.Errorf("sample fit needs at least 2 images, got %d", n)
	}
	c := m.Config
	rng := rand.New(rand.NewPCG(ec.Seed, 0xf17))
	var sampleZ, sampleX, postZ, dataX [][]float64
	for done := 0; done < n; done += c.Batch { // prior samples in batches of the model's size
		x, z, err := m.Samples(c.Batch, rng)
		if err != nil {
			return nil, err
		}
		k := min(c.Batch, n-done)
		sampleZ = append(sampleZ, learn.Rows(z, k, c.ZDim)...)
		sampleX = append(sampleX, learn.Rows(x, k, c.Pixels())...)
	}
	err = m.forBatches(set, n, func(idx []int, x []float32, real int) error {
		z, err := m.InferPosterior(x, len(idx), nil, ec.K1, ec.S1, rng, -1)
		if err != nil {
			return err
		}
		postZ = append(postZ, learn.Rows(z, real, c.ZDim)...)
		dataX = append(dataX, learn.Rows(x, real, c.Pixels())...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	fd := func(a, b [][]float64) (float64, error) {
		ga, err := FitGaussian(a)
		if err != nil {
			return 0, err
		}
		gb, err := FitGaussian(b)
		if err != nil {
			return 0, err
		}
		return FrechetDistance(ga, gb)
	}
	f := &SampleFit{Samples: n, Images: n, K0: c.K0, K1: ec.K1}
	if !m.Prior.Trainable() {
		f.K0 = 0 // the gaussian prior is sampled exactly
	}
	if f.PixelFD, err = fd(sampleX, dataX); err != nil {
		return nil, err
	}
	if f.LatentFD, err = fd(sampleZ, postZ); err != nil {
		return nil, err
	}
	return f, nil
}
