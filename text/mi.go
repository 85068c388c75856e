package text

import (
	"maps"
	"math"
	"slices"

	"github.com/lebm/lebm/corpora"

	"github.com/lebm/lebm/learn"
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
// sentences). mu, sigma and samples are flat [N*d]; se is the standard error of the mean over sentences.
func MutualInformation(mu, sigma, samples []float64, d int) (mi, se float64) {
	return learn.MeanSE(miTerms(mu, sigma, samples, d))
}

// miTerms are MutualInformation's per-sentence terms log q(z_x|x) - log q(z_x), whose mean it is.
func miTerms(mu, sigma, samples []float64, d int) []float64 {
	q := newPosteriors(mu, sigma, d)
	all := make([]int, q.n)
	for i := range all {
		all[i] = i
	}
	out := make([]float64, q.n)
	terms := make([]float64, q.n)
	for i := range all {
		q.logDensities(samples[i*d:(i+1)*d], all, terms)
		out[i] = terms[i] - (learn.LogSumExp(terms) - math.Log(float64(q.n)))
	}
	return out
}

// posteriors are n diagonal Gaussians q(z|x_k) = N(mu_k, diag sigma_k^2) (flat [n*d] each) with their
// log normalisers -d/2 log(2 pi) - sum_j log sigma_kj, computed once.
type posteriors struct {
	mu, sigma, logNorm []float64
	n, d               int
}

func newPosteriors(mu, sigma []float64, d int) posteriors {
	q := posteriors{mu: mu, sigma: sigma, n: len(mu) / d, d: d}
	q.logNorm = make([]float64, q.n)
	for k := range q.logNorm {
		c := -0.5 * float64(d) * prior.Log2Pi
		for j := 0; j < d; j++ {
			c -= math.Log(sigma[k*d+j])
		}
		q.logNorm[k] = c
	}
	return q
}

// logDensities sets out[i] = log q(z | x_ks[i]) for the components ks.
func (q posteriors) logDensities(z []float64, ks []int, out []float64) {
	for i, k := range ks {
		var e2 float64
		for j := 0; j < q.d; j++ {
			e := (z[j] - q.mu[k*q.d+j]) / q.sigma[k*q.d+j]
			e2 += e * e
		}
		out[i] = q.logNorm[k] - 0.5*e2
	}
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
func HeMutualInformation(mu, sigma, samples []float64, d int, batches [][]int) (mi, se float64) {
	terms := heTerms(mu, sigma, samples, d, batches)
	if len(terms) == 0 {
		return 0, 0
	}
	return learn.MeanSE(terms)
}

// heTerms are HeMutualInformation's per-sentence terms E_q log q(z|x) - log q_b(z_x), batch by batch, whose
// mean it is.
func heTerms(mu, sigma, samples []float64, d int, batches [][]int) []float64 {
	q := newPosteriors(mu, sigma, d)
	var out []float64
	for _, b := range batches {
		terms := make([]float64, len(b))
		for _, i := range b {
			negEnt := q.logNorm[i] - 0.5*float64(d) // E_q log q(z|x) = -d/2 log(2 pi) - sum_j (log sigma_j + 1/2)
			q.logDensities(samples[i*d:(i+1)*d], b, terms)
			out = append(out, negEnt-(learn.LogSumExp(terms)-math.Log(float64(len(b)))))
		}
	}
	return out
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
