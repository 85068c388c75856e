package prior

import (
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Diagonal Gaussian terms of the amortized networks (q_phi(z|x) and q_psi(z) of the paper's appendix):
// for q = N(mu, diag(exp(logVar))) in d dimensions,
//
//	KL(q || N(0, I)) = 1/2 sum_j (mu_j^2 + exp(logVar_j) - 1 - logVar_j)
//	H(q)             = 1/2 sum_j (1 + log(2 pi) + logVar_j)

// GaussianKLTerms are the per-dimension terms KL_ij = 1/2 (mu_ij^2 + exp(logVar_ij) - 1 - logVar_ij), [N, d]
// for mu, logVar [N, d]; they sum over j to KL(N(mu_i, diag exp(logVar_i)) || N(0, I)).
func GaussianKLTerms(mu, logVar *graph.Node) *graph.Node {
	return graph.MulScalar(graph.Sub(graph.Add(graph.Square(mu), graph.Exp(logVar)), graph.AddScalar(logVar, 1)), 0.5)
}

// GaussianKL is KL(N(mu, diag exp(logVar)) || N(0, I)) per row, [N] for mu, logVar [N, d].
func GaussianKL(mu, logVar *graph.Node) *graph.Node {
	return graph.ReduceSum(GaussianKLTerms(mu, logVar), -1)
}

// FreeBits is the batch's KL term with "free bits" (Kingma et al. 2016, in the batch form Li et al. 2019
// use against posterior collapse): sum_j max(mean_i KL_ij, lambda), a scalar, for the terms [N, d] of
// GaussianKLTerms. Dimensions whose mean KL is below lambda nats get no gradient from it, so the encoder
// is not pushed to make them uninformative. lambda = 0 gives mean_i KL_i.
func FreeBits(terms *graph.Node, lambda float64) *graph.Node {
	perDim := graph.ReduceMean(terms, 0) // [d]
	if lambda > 0 {
		perDim = graph.Max(perDim, graph.Scalar(terms.Graph(), terms.DType(), lambda))
	}
	return graph.ReduceAllSum(perDim)
}

// GaussianEntropy is H(N(mu, diag exp(logVar))) per row, [N] for logVar [N, d].
func GaussianEntropy(logVar *graph.Node) *graph.Node {
	return graph.MulScalar(graph.ReduceSum(graph.AddScalar(logVar, 1+Log2Pi), -1), 0.5)
}

// Reparameterize returns mu + exp(logVar/2) * eps, [N, d]: a draw of N(mu, diag exp(logVar)) that is
// differentiable with respect to mu and logVar (eps ~ N(0, I) is an input).
func Reparameterize(mu, logVar, eps *graph.Node) *graph.Node {
	return graph.Add(mu, graph.Mul(graph.Exp(graph.MulScalar(logVar, 0.5)), eps))
}

// GaussianKLHost is GaussianKL for one row, on the host (float64).
func GaussianKLHost(mu, logVar []float64) float64 {
	var s float64
	for j := range mu {
		s += mu[j]*mu[j] + math.Exp(logVar[j]) - 1 - logVar[j]
	}
	return s / 2
}
