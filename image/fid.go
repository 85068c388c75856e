package image

import (
	"fmt"
	"math"

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
// (the FID formula; Tr((S1 S2)^{1/2}) equals the symmetric form's trace). Square roots are taken by
// symmetric eigendecomposition, negative eigenvalues of round-off clipped to 0.
func FrechetDistance(a, b Gaussian) (float64, error) {
	d := len(a.Mean)
	if len(b.Mean) != d || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("Fréchet distance between Gaussians of dimensions %d and %d", d, len(b.Mean))
	}
	var dist float64
	for j := range a.Mean {
		dist += (a.Mean[j] - b.Mean[j]) * (a.Mean[j] - b.Mean[j])
	}
	root1, err := symSqrt(a.Cov)
	if err != nil {
		return 0, err
	}
	var inner mat.Dense
	inner.Mul(root1, b.Cov)
	inner.Mul(&inner, root1)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (inner.At(i, j)+inner.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, fmt.Errorf("Fréchet distance: eigendecomposition failed")
	}
	var trRoot float64
	for _, v := range eig.Values(nil) {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	return dist + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*trRoot, nil
}

// symSqrt is the symmetric square root V diag(sqrt(max(l, 0))) Vᵀ of a symmetric matrix.
func symSqrt(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("covariance eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	d := len(vals)
	scaled := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			scaled.Set(i, j, vecs.At(i, j)*math.Sqrt(math.Max(vals[j], 0)))
		}
	}
	var out mat.Dense
	out.Mul(scaled, vecs.T())
	return &out, nil
}
