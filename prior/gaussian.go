package prior

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Diagonal Gaussian terms of the amortized networks (q_phi(z|x) and q_psi(z) of the paper's appendix):
// for q = N(mu, diag(exp(logVar))) in d dimensions,
//
//	KL(q || N(0, I)) = 1/2 sum_j (mu_j^2 + exp(logVar_j) - 1 - logVar_j)
//	H(q)             = 1/2 sum_j (1 + log(2 pi) + logVar_j)

// GaussianKL is KL(N(mu, diag exp(logVar)) || N(0, I)) per row, [N] for mu, logVar [N, d].
func GaussianKL(mu, logVar *graph.Node) *graph.Node {
	t := graph.Sub(graph.Add(graph.Square(mu), graph.Exp(logVar)), graph.AddScalar(logVar, 1))
	return graph.MulScalar(graph.ReduceSum(t, -1), 0.5)
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
