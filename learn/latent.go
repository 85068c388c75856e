package learn

import (
	"fmt"
	"math"
)

// Rows splits latent codes z (flat [n*d]) into n rows of float64, for the estimators and plots.
func Rows(z []float32, n, d int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = float64(z[i*d+j])
		}
	}
	return out
}

// Line is the straight line between the latent codes a and b ([d] each) at n >= 2 evenly spaced points,
// z_k = (1 - t_k) a + t_k b with t_k = k / (n - 1): flat [n*d] and the t_k.
func Line(a, b []float32, n int) ([]float32, []float64) {
	d := len(a)
	z := make([]float32, n*d)
	t := make([]float64, n)
	for k := range t {
		t[k] = float64(k) / float64(n-1)
		for j := 0; j < d; j++ {
			z[k*d+j] = float32((1-t[k])*float64(a[j]) + t[k]*float64(b[j]))
		}
	}
	return z, t
}

// CentroidAccuracy fits one centroid per class to the rows of fit (flat [n*d], labels in [0, k)) and
// returns the share of the rows of x whose nearest centroid (Euclidean) is their label. A class absent
// from fit is never predicted.
func CentroidAccuracy(fit []float32, fitLabels []int, x []float32, labels []int, d, k int) (float64, error) {
	if len(fit) != len(fitLabels)*d || len(x) != len(labels)*d || len(labels) == 0 {
		return 0, fmt.Errorf("centroid accuracy: %d and %d values for %d and %d rows of %d (at least one row to score)", len(fit), len(x), len(fitLabels), len(labels), d)
	}
	cent := make([]float64, k*d)
	count := make([]int, k)
	for i, l := range fitLabels {
		if l < 0 || l >= k {
			return 0, fmt.Errorf("label %d of row %d is outside [0, %d)", l, i, k)
		}
		count[l]++
		for j := 0; j < d; j++ {
			cent[l*d+j] += float64(fit[i*d+j])
		}
	}
	for c := 0; c < k; c++ {
		for j := 0; j < d && count[c] > 0; j++ {
			cent[c*d+j] /= float64(count[c])
		}
	}
	right := 0
	for i, l := range labels {
		best, bestD := -1, math.Inf(1)
		for c := 0; c < k; c++ {
			if count[c] == 0 {
				continue
			}
			var s float64
			for j := 0; j < d; j++ {
				v := float64(x[i*d+j]) - cent[c*d+j]
				s += v * v
			}
			if s < bestD {
				best, bestD = c, s
			}
		}
		if best == l {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}

// MajorityShare is the share of the most frequent of k labels: the accuracy of a classifier that ignores
// its input (0 for no labels).
func MajorityShare(labels []int, k int) float64 {
	if len(labels) == 0 {
		return 0
	}
	count := make([]int, k)
	most := 0
	for _, l := range labels {
		if l >= 0 && l < k {
			count[l]++
			most = max(most, count[l])
		}
	}
	return float64(most) / float64(len(labels))
}
