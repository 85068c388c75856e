package image

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func gauss(mean []float64, cov ...float64) Gaussian {
	return Gaussian{Mean: mean, Cov: mat.NewSymDense(len(mean), cov)}
}

// TestFrechetClosedForms checks the distance against closed forms: 1-D Gaussians ((m1-m2)^2 +
// (s1-s2)^2), diagonal covariances (sum of (sqrt a - sqrt b)^2), and non-commuting 2x2 covariances, where
// Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)) for M = S1^1/2 S2 S1^1/2 (Tr M = Tr S1 S2, det M = det S1 det S2).
func TestFrechetClosedForms(t *testing.T) {
	check := func(name string, a, b Gaussian, want float64) {
		t.Helper()
		got, err := FrechetDistance(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	check("1-D", gauss([]float64{1}, 4), gauss([]float64{-2}, 9), 9+1)
	check("diagonal", gauss([]float64{0, 1, 2}, 1, 0, 0, 0, 4, 0, 0, 0, 0.25), gauss([]float64{1, 1, 0}, 9, 0, 0, 0, 1, 0, 0, 0, 1),
		1+0+4+(1-3)*(1-3)+(2-1)*(2-1)+(0.5-1)*(0.5-1))
	s1 := []float64{2, 0.7, 0.7, 1}
	s2 := []float64{1, -0.4, -0.4, 3}
	a, b := gauss([]float64{0.5, 0}, s1...), gauss([]float64{0, -1}, s2...)
	var prod mat.Dense
	prod.Mul(a.Cov, b.Cov)
	det1, det2 := 2*1-0.7*0.7, 1*3-0.4*0.4
	trRoot := math.Sqrt(mat.Trace(&prod) + 2*math.Sqrt(det1*det2))
	check("2x2 non-commuting", a, b, 0.25+1+3+4-2*trRoot)
	check("identical", a, a, 0)
}

// TestFitGaussianRecovers: the distance between a Gaussian fitted to 20000 draws of N(mu, S) and N(mu, S)
// itself is small (its expectation is O(d/n)); the fitted mean and covariance are close to the truth.
func TestFitGaussianRecovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 20000
	// x = mu + L e with L lower-triangular: S = L Lᵀ.
	mu := []float64{1, -2, 0.5}
	L := [][]float64{{1, 0, 0}, {0.5, 0.8, 0}, {-0.3, 0.2, 0.6}}
	var feats [][]float64
	for i := 0; i < n; i++ {
		e := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		x := make([]float64, 3)
		for r := 0; r < 3; r++ {
			x[r] = mu[r]
			for c := 0; c <= r; c++ {
				x[r] += L[r][c] * e[c]
			}
		}
		feats = append(feats, x)
	}
	fit, err := FitGaussian(feats)
	if err != nil {
		t.Fatal(err)
	}
	truth := Gaussian{Mean: mu, Cov: mat.NewSymDense(3, nil)}
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			var s float64
			for k := 0; k < 3; k++ {
				s += L[r][k] * L[c][k]
			}
			truth.Cov.SetSym(r, c, s)
		}
	}
	d, err := FrechetDistance(fit, truth)
	if err != nil {
		t.Fatal(err)
	}
	if d < 0 || d > 0.005 {
		t.Errorf("distance of the fit to the truth %v, want about 3/n", d)
	}
	if _, err := FitGaussian(feats[:1]); err == nil {
		t.Error("a covariance from one vector was accepted")
	}
}
