package text

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lebm/lebm/corpora"
)

// TestHeMutualInformationKnown: He et al.'s form on analytic cases. Its per-sentence term is
// E_q log q(z|x) - log q_b(z_x); with one draw per sentence, E_q log q(z|x) - log q(z_x|x) has mean 0 and
// variance d/2, so the estimate's standard error is sqrt(d / (2N)).
//   - Well-separated posteriors: q_b(z_x) = q(z_x|x) / |b|, so I = sum_b |b| log |b| / N (the batch, not
//     the data set, caps it; the toolkit's estimator gives log N).
//   - Identical posteriors N(0, I): q_b = q(.|x), I = 0.
func TestHeMutualInformationKnown(t *testing.T) {
	const n, d = 2000, 2
	rng := rand.New(rand.NewPCG(7, 7))
	mu, sigma, samples := make([]float64, n*d), make([]float64, n*d), make([]float64, n*d)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	// Sentences of two lengths, interleaved: He et al.'s loader makes 31 full batches + 8 per length.
	ex := make([][]int, n)
	for i := range ex {
		ex[i] = make([]int, 3+2*(i%2))
	}
	batches := heBatches(corpora.NewDatasetFromIDs(ex, corpora.Whole), all)
	for _, b := range batches {
		for _, p := range b {
			if p%2 != b[0]%2 {
				t.Fatalf("batch %v mixes lengths", b)
			}
		}
	}
	var want float64
	for _, b := range batches {
		want += float64(len(b)) * math.Log(float64(len(b))) / n
	}
	tol := 4 * math.Sqrt(d/(2.0*n))
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mu[i*d+j], sigma[i*d+j] = float64(i*10*(j+1)), 0.1
			samples[i*d+j] = mu[i*d+j] + sigma[i*d+j]*rng.NormFloat64()
		}
	}
	if len(batches) != 64 || len(batches[31]) != 8 {
		t.Fatalf("batches: %d, the 32nd of %d sentences; want 64 and 8", len(batches), len(batches[31]))
	}
	if mi, _ := HeMutualInformation(mu, sigma, samples, d, batches); math.Abs(mi-want) > tol {
		t.Errorf("separated posteriors: MI_He %.4f, want sum_b |b| log |b| / N = %.4f ± %.4f", mi, want, tol)
	}
	if mi, _ := MutualInformation(mu, sigma, samples, d); math.Abs(mi-math.Log(n)) > 1e-6 {
		t.Errorf("separated posteriors: MI %.4f, want log N = %.4f", mi, math.Log(n))
	}
	for i := range mu {
		mu[i], sigma[i] = 0, 1
		samples[i] = rng.NormFloat64()
	}
	if mi, _ := HeMutualInformation(mu, sigma, samples, d, batches); math.Abs(mi) > tol {
		t.Errorf("identical posteriors: MI_He %.4f, want 0 ± %.4f", mi, tol)
	}
}
