// Package sampler runs short-run Langevin chains on any energy written as graph code:
//
//	z_{k+1} = z_k - (s^2 / 2) * grad_z E(z_k) + s * eps_k,   eps_k ~ N(0, I),
//
// for the prior (E = -f_alpha(z) + ||z||^2/2) and for the posterior (the same minus log p_beta(x|z)).
//
// One Langevin step is compiled once per input shape and driven from the host, so the chain length K and
// the step size s are run-time parameters. The noise is drawn on the host from a seeded generator: chains
// are reproducible, identical across backends, and their generator state is saved with checkpoints.
// Every step is checked: a NaN or Inf in z or in the energy, or an energy beyond MaxEnergy, stops the
// chain with a ChainError naming the chain, the training iteration, the step and the step size.
package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// MaxEnergy bounds |E(z)|: beyond it a chain is reported as exploded.
const MaxEnergy = 1e7

// Energy computes per-chain energies [N] for z [N, d]; extra are the data the energy depends on (for the
// posterior: the batch's tokens and mask). Chains must not interact: E is a sum of per-row terms.
type Energy func(scope *model.Scope, z *graph.Node, extra []*graph.Node) *graph.Node

// Langevin is a compiled Langevin step for one energy.
type Langevin struct {
	Name string // "prior" or "posterior": used in errors
	exec *model.Exec
}

// New compiles a Langevin step for energy (graphs are built lazily, once per input shape).
// The step graph takes (z [N,d], eps [N,d], s scalar, extra...) and returns (z_next, E(z)).
func New(backend compute.Backend, scope *model.Scope, name string, energy Energy) (*Langevin, error) {
	exec, err := model.NewExec(backend, scope.Store(), func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		z, eps, s := in[0], in[1], in[2]
		zVar := graph.Identity(z) // differentiate with respect to the chain's state only
		e := energy(scope, zVar, in[3:])
		grad := graph.Gradient(graph.ReduceAllSum(e), zVar)[0]
		half := graph.MulScalar(graph.Square(s), 0.5)
		next := graph.Add(graph.Sub(z, graph.Mul(half, grad)), graph.Mul(s, eps))
		return []*graph.Node{next, e}
	})
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(64)
	return &Langevin{Name: name, exec: exec}, nil
}

// ChainError reports a chain that produced a non-finite value or whose energy exploded.
type ChainError struct {
	Chain     string  // "prior" or "posterior"
	Iteration int     // training iteration (or -1 outside training)
	Step      int     // Langevin step within the chain, 0-based
	Row       int     // which chain of the batch
	StepSize  float64 // s
	What      string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("%s Langevin chain diverged at iteration %d, step %d, chain %d (step size %g): %s; "+
		"try a smaller step size", e.Chain, e.Iteration, e.Step, e.Row, e.StepSize, e.What)
}

// Schedule gives the step size of step k of a K-step chain.
type Schedule func(k, K int) float64

// Constant is the fixed step size schedule.
func Constant(s float64) Schedule { return func(int, int) float64 { return s } }

// Result is the end of a chain: z [N*d] and the energies of the last state visited before the final step.
type Result struct {
	Z      []float32
	Energy []float32 // E(z_{K-1}) per chain (empty if K = 0)
}

// Run advances N chains of dimension d from z0 (flat [N*d], not modified) for K steps of size
// schedule(k, K), with noise from rng. extra are passed to the energy (tensors or Go values).
// iteration is only used in errors.
func (l *Langevin) Run(z0 []float32, N, d, K int, schedule Schedule, rng *rand.Rand, iteration int, extra ...any) (*Result, error) {
	if len(z0) != N*d {
		return nil, fmt.Errorf("%s chain: z0 has %d values, want %d x %d", l.Name, len(z0), N, d)
	}
	z := append([]float32(nil), z0...)
	eps := make([]float32, N*d)
	res := &Result{Z: z}
	for k := 0; k < K; k++ {
		s := schedule(k, K)
		for i := range eps {
			eps[i] = float32(rng.NormFloat64())
		}
		args := append([]any{
			tensors.FromFlatDataAndDimensions(z, N, d),
			tensors.FromFlatDataAndDimensions(eps, N, d),
			float32(s),
		}, extra...)
		out, err := l.exec.Exec(args...)
		if err != nil {
			return nil, fmt.Errorf("%s chain step %d: %w", l.Name, k, err)
		}
		z = tensors.MustCopyFlatData[float32](out[0])
		energy := tensors.MustCopyFlatData[float32](out[1])
		for r := 0; r < N; r++ {
			e := float64(energy[r])
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return nil, &ChainError{l.Name, iteration, k, r, s, fmt.Sprintf("energy is %v", e)}
			}
			if math.Abs(e) > MaxEnergy {
				return nil, &ChainError{l.Name, iteration, k, r, s, fmt.Sprintf("energy %.3g exceeds %.0g", e, MaxEnergy)}
			}
			for j := 0; j < d; j++ {
				v := float64(z[r*d+j])
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, &ChainError{l.Name, iteration, k, r, s, fmt.Sprintf("z[%d] is %v", j, v)}
				}
			}
		}
		res.Z, res.Energy = z, energy
	}
	return res, nil
}

// StandardNormal fills a new [n] slice with N(0, 1) draws.
func StandardNormal(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// NewChains compiles the two chains of the learning iteration (the same for every generator family): the
// prior chain on E_alpha(z) = priorEnergy(z) and the posterior chain on posteriorEnergy(z, extra)
// (E_alpha(z) - log p_beta(x|z), extra the data).
func NewChains(backend compute.Backend, scope *model.Scope, priorEnergy func(z *graph.Node) *graph.Node,
	posteriorEnergy func(z *graph.Node, extra []*graph.Node) *graph.Node) (priorChain, posteriorChain *Langevin, err error) {
	if priorChain, err = New(backend, scope, "prior", func(_ *model.Scope, z *graph.Node, _ []*graph.Node) *graph.Node {
		return priorEnergy(z)
	}); err != nil {
		return nil, nil, err
	}
	posteriorChain, err = New(backend, scope, "posterior", func(_ *model.Scope, z *graph.Node, extra []*graph.Node) *graph.Node {
		return posteriorEnergy(z, extra)
	})
	return priorChain, posteriorChain, err
}
