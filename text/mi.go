package text

import (
	"maps"
	"math"
	"slices"

	"github.com/lebm/lebm/corpora"

	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/prior"
)

// MutualInformation is the mixture estimator of I(x; z) for Gaussian q(z|x) = N(mu_x, diag sigma_x^2)
// (He et al. 2019's estimator of log q(z)): with one sample z_x ~ q(z|x) per sentence and the aggregate
// posterior q(z) approximated by the mixture (1/N) sum_x' q(z|x'),
//
//	I = mean_x [log q(z_x|x) - log q(z_x)],  log q(z_x) = logsumexp_x' log q(z_x|x') - log N.
//
// The first term is the sample's own log-density rather than He et al.'s exact E_q log q(z|x): the same
// expectation, but the noise of the two terms then cancels, and the estimate never exceeds log N (with
// the exact entropy, one draw per sentence in 32 dimensions overshoots log N by about 0.6 nats on 50
// sentences). mu, sigma and samples are flat [N*d].
func MutualInformation(mu, sigma, samples []float64, d int) float64 {
	n := len(mu) / d
	logNorm := make([]float64, n)
	for k := 0; k < n; k++ {
		c := -0.5 * float64(d) * prior.Log2Pi
		for j := 0; j < d; j++ {
			c -= math.Log(sigma[k*d+j])
		}
		logNorm[k] = c
	}
	var total float64
	terms := make([]float64, n)
	for i := 0; i < n; i++ {
		z := samples[i*d : (i+1)*d]
		for k := 0; k < n; k++ {
			var q float64
			for j := 0; j < d; j++ {
				e := (z[j] - mu[k*d+j]) / sigma[k*d+j]
				q += e * e
			}
			terms[k] = logNorm[k] - 0.5*q
		}
		total += terms[i] - (learn.LogSumExp(terms) - math.Log(float64(n)))
	}
	return total / float64(n)
}

// HeBatch is the batch size within which HeMutualInformation mixes the aggregate posterior: He et al.
// 2019's evaluation batches (batch_size 32 in their configurations; their data loader sorts the
// sentences by length and cuts each run of one length into batches of at most this many).
const HeBatch = 32

// HeMutualInformation is I(x; z) as He et al. 2019 compute it (calc_mi in their code), for comparison
// with published values: for each evaluation batch b of sentences (flat indices into mu; heBatches
// makes them as their loader does),
//
//	I_b = mean_{x in b} E_q log q(z|x) - mean_{x in b} log q_b(z_x),
//	E_q log q(z|x) = -d/2 log(2 pi) - sum_j (log sigma_xj + 1/2)   (the exact negative entropy),
//	log q_b(z) = logsumexp_{x' in b} log q(z|x') - log |b|           (the mixture within the batch),
//
// one draw z_x ~ q(z|x) per sentence, and I = sum_b |b| I_b / N. The within-batch mixture caps it near
// log |b| (log 32 = 3.47 nats), and the exact entropy makes it noisier than MutualInformation.
func HeMutualInformation(mu, sigma, samples []float64, d int, batches [][]int) float64 {
	var total float64
	var n int
	for _, b := range batches {
		var negEnt, logQ float64
		terms := make([]float64, len(b))
		for _, i := range b {
			negEnt -= 0.5 * float64(d) * prior.Log2Pi
			for j := 0; j < d; j++ {
				negEnt -= math.Log(sigma[i*d+j]) + 0.5
			}
			for k, x := range b {
				q := -0.5 * float64(d) * prior.Log2Pi
				for j := 0; j < d; j++ {
					e := (samples[i*d+j] - mu[x*d+j]) / sigma[x*d+j]
					q -= math.Log(sigma[x*d+j]) + 0.5*e*e
				}
				terms[k] = q
			}
			logQ += learn.LogSumExp(terms) - math.Log(float64(len(b)))
		}
		total += negEnt - logQ // |b| I_b
		n += len(b)
	}
	if n == 0 {
		return 0
	}
	return total / float64(n)
}

// heBatches lays out positions into idx (indices into ds) as He et al.'s evaluation batches: grouped by
// exact sentence length, shortest first (in order of position within a length), each length's run cut
// into batches of at most HeBatch.
func heBatches(ds *corpora.Dataset, idx []int) [][]int {
	byLen := map[int][]int{}
	for pos, i := range idx {
		n := len(ds.Examples[i])
		byLen[n] = append(byLen[n], pos)
	}
	var out [][]int
	for _, n := range slices.Sorted(maps.Keys(byLen)) {
		g := byLen[n]
		for s := 0; s < len(g); s += HeBatch {
			out = append(out, g[s:min(s+HeBatch, len(g))])
		}
	}
	return out
}
