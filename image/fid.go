package image

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is the mean and covariance of a set of feature vectors (for FID: Inception pool features).
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
	N    int // vectors it was estimated from
}

// FitGaussian estimates the mean and the unbiased covariance (divisor n-1) of rows of features.
func FitGaussian(features [][]float64) (Gaussian, error) {
	n := len(features)
	if n < 2 {
		return Gaussian{}, fmt.Errorf("a covariance needs at least 2 feature vectors, got %d", n)
	}
	d := len(features[0])
	mean := make([]float64, d)
	for _, f := range features {
		if len(f) != d {
			return Gaussian{}, fmt.Errorf("feature vectors of lengths %d and %d", d, len(f))
		}
		for j, v := range f {
			mean[j] += v / float64(n)
		}
	}
	centred := mat.NewDense(n, d, nil)
	for i, f := range features {
		for j, v := range f {
			centred.Set(i, j, v-mean[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n-1), centred.T())
	return Gaussian{Mean: mean, Cov: cov, N: n}, nil
}

// FrechetDistance is the squared Fréchet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2):
//
//	||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1^{1/2} S2 S1^{1/2})^{1/2})
//
// (the FID formula). The trace term is computed without a matrix square root: with S1 = L Lᵀ (Cholesky),
// Lᵀ S2 L is similar to S2 S1 and so has the eigenvalues of S1^{1/2} S2 S1^{1/2}; the trace of the root is
// the sum of their square roots (negative round-off clipped to 0). One symmetric eigenvalue problem, no
// eigenvectors: seconds for 2048-dimensional Inception features. A singular S1 (fewer samples than
// dimensions) gets a jitter of 1e-10 of its mean variance on the diagonal, raised until Cholesky succeeds.
func FrechetDistance(a, b Gaussian) (float64, error) {
	d := len(a.Mean)
	if len(b.Mean) != d || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("the Fréchet distance between Gaussians of dimensions %d and %d", d, len(b.Mean))
	}
	var dist float64
	for j := range a.Mean {
		dist += (a.Mean[j] - b.Mean[j]) * (a.Mean[j] - b.Mean[j])
	}
	tr1, tr2 := mat.Trace(a.Cov), mat.Trace(b.Cov)
	var chol mat.Cholesky
	s1 := a.Cov
	jitter := 1e-10 * math.Max(tr1/float64(d), 1e-300)
	for !chol.Factorize(s1) {
		if jitter > tr1 {
			return 0, fmt.Errorf("the Fréchet distance: covariance is not positive semi-definite")
		}
		j := mat.NewSymDense(d, nil)
		j.CopySym(a.Cov)
		for i := 0; i < d; i++ {
			j.SetSym(i, i, j.At(i, i)+jitter)
		}
		s1, jitter = j, jitter*100
	}
	var L mat.TriDense
	chol.LTo(&L)
	ld, s2 := mat.DenseCopyOf(&L), mat.DenseCopyOf(b.Cov) // dense operands: Mul then runs as BLAS dgemm
	var m mat.Dense
	m.Mul(ld.T(), s2)
	m.Mul(&m, ld)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, fmt.Errorf("the Fréchet distance: eigendecomposition failed")
	}
	var trRoot float64
	for _, v := range eig.Values(nil) {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	return dist + tr1 + tr2 - 2*trRoot, nil
}

// FIDConfig says how a Fréchet Inception distance is estimated.
type FIDConfig struct {
	Samples int `json:"samples"` // model samples
	// RealImages is the number of reference images, the first of the set (0: as many as Samples, at most
	// all of them).
	RealImages int    `json:"real_images"`
	Reference  string `json:"reference"` // the split the reference images come from
	Seed       uint64 `json:"seed"`
}

// FIDResult is a Fréchet Inception distance with how it was estimated.
type FIDResult struct {
	Value      float64 `json:"value"`
	Samples    int     `json:"samples"`
	Sampler    string  `json:"sampler"` // how z was drawn: the prior chain's length and step, or exact N(0, I) draws
	RealImages int     `json:"real_images"`
	Reference  string  `json:"reference"`
	Features   string  `json:"features"`
	ImageSize  int     `json:"image_size"`
}

// Format renders r for people, stating how it was estimated.
func (r *FIDResult) Format() string {
	return fmt.Sprintf("FID %.2f: %d model samples (%s) against %d %s images, %s, %dx%d bilinear\n",
		r.Value, r.Samples, r.Sampler, r.RealImages, r.Reference, r.Features, r.ImageSize, r.ImageSize)
}

// FID is the Fréchet distance between Gaussians fitted to the Inception features of fc.Samples model
// samples (z from the prior chain, or exact N(0, I) draws for a gaussian prior) and of the first
// fc.RealImages images of ref. progress, if not nil, is told the images done and the total.
func (m *Model) FID(inc *Inception, ref *corpora.Images, fc FIDConfig, progress func(done, total int)) (*FIDResult, error) {
	n := fc.Samples
	if n < 2 {
		return nil, fmt.Errorf("FID needs at least 2 samples, got %d", n)
	}
	realN := fc.RealImages
	if realN <= 0 {
		realN = n
	}
	realN = min(realN, ref.N())
	if realN < 2 {
		return nil, fmt.Errorf("FID needs at least 2 reference images, the %s set has %d", fc.Reference, ref.N())
	}
	c := m.Config
	const chunk = 50
	report := func(done int) {
		if progress != nil {
			progress(done, n+realN)
		}
	}
	var fake, real [][]float64
	rng := rand.New(rand.NewPCG(fc.Seed, 0xf1d))
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		x, _, err := m.Samples(k, rng)
		if err != nil {
			return nil, err
		}
		f, err := inc.Features(x, k, c.Height, c.Width, c.Channels)
		if err != nil {
			return nil, err
		}
		fake = append(fake, f...)
		report(done + k)
	}
	for done := 0; done < realN; done += chunk {
		k := min(chunk, realN-done)
		f, err := inc.Features(ref.FloatRange(done, done+k), k, c.Height, c.Width, c.Channels)
		if err != nil {
			return nil, err
		}
		real = append(real, f...)
		report(n + done + k)
	}
	gf, err := FitGaussian(fake)
	if err != nil {
		return nil, err
	}
	gr, err := FitGaussian(real)
	if err != nil {
		return nil, err
	}
	v, err := FrechetDistance(gf, gr)
	if err != nil {
		return nil, err
	}
	return &FIDResult{Value: v, Samples: n, Sampler: m.Core.PriorSampler(c.K0, c.S0), RealImages: realN, Reference: fc.Reference,
		Features: "Keras Inception-v3 pool features (2048)", ImageSize: inc.size}, nil
}
