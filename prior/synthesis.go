package prior

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/internal/nn"
)

// SynthesisScope is where the synthesis network's variables live.
const SynthesisScope = "synthesis"

// Synthesis is the amortized synthesis network q_psi(z) of the paper's appendix (amortized inference
// and synthesis): a diagonal Gaussian N(m, diag exp(logVar)) whose parameters psi = (m, logVar) are
// learned so that q_psi approximates p_alpha, by minimising
//
//	KL(q_psi || p_alpha) = E_{q_psi}[-f_alpha(z) + ||z||^2/2] - H(q_psi) + log Z(alpha) + d/2 log(2 pi),
//
// whose gradient needs no log Z (it does not depend on psi). Its draws start (or, with K0 = 0, replace)
// the prior chain. A diagonal Gaussian cannot follow a multimodal p_alpha: that is what the Langevin
// refinement after it is for; in exchange its entropy is exact, so the objective has no estimated term.
type Synthesis struct {
	ZDim      int
	m, logVar *model.Variable
}

// NewSynthesis creates q_psi = N(0, I) in scope.At(SynthesisScope).
func NewSynthesis(scope *model.Scope, rng *rand.Rand, zDim int) *Synthesis {
	c := scope.At(SynthesisScope)
	return &Synthesis{ZDim: zDim,
		m:      nn.NewVariable(c, rng, "mean", nn.Zeros, zDim),
		logVar: nn.NewVariable(c, rng, "log_var", nn.Zeros, zDim)}
}

// Variables are psi.
func (s *Synthesis) Variables() []*model.Variable { return []*model.Variable{s.m, s.logVar} }

// Params returns (m, logVar) broadcast to [N, d].
func (s *Synthesis) Params(g *graph.Graph, n int) (mu, logVar *graph.Node) {
	mu = graph.BroadcastToDims(graph.ExpandAxes(s.m.NodeValue(g), 0), n, s.ZDim)
	logVar = graph.BroadcastToDims(graph.ExpandAxes(s.logVar.NodeValue(g), 0), n, s.ZDim)
	return
}

// Sample returns z = m + exp(logVar/2) eps, [N, d], for eps [N, d].
func (s *Synthesis) Sample(eps *graph.Node) *graph.Node {
	mu, lv := s.Params(eps.Graph(), eps.Shape().Dimensions[0])
	return Reparameterize(mu, lv, eps)
}

// Loss is the Monte Carlo estimate of KL(q_psi || p_alpha) without its constant log Z(alpha) + d/2 log 2pi,
// from the draws z = Sample(eps) (scalar): mean_i [E_alpha(z_i)] - H(q_psi).
func (s *Synthesis) Loss(p *Prior, eps *graph.Node) *graph.Node {
	z := s.Sample(eps)
	_, lv := s.Params(eps.Graph(), 1)
	h := graph.ReduceAllSum(GaussianEntropy(lv))
	return graph.Sub(graph.ReduceAllMean(p.Energy(z)), h)
}

// Torch is q_psi as PyTorch parameters under prefix: mean [d] and log_var [d].
func (s *Synthesis) Torch(prefix string) []ckpt.TorchTensor {
	return []ckpt.TorchTensor{{Name: prefix + "mean", Vars: []*model.Variable{s.m}}, {Name: prefix + "log_var", Vars: []*model.Variable{s.logVar}}}
}
