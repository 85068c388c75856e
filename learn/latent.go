package learn

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
