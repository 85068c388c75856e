// Package sampler runs short-run Langevin chains on any energy written as graph code:
//
//	z_{k+1} = z_k - (s_k^2 / 2) * grad_z E(z_k) + s_k * eps_k,   eps_k ~ N(0, I),
//
// for the prior (E = -f_alpha(z) + ||z||^2/2) and for the posterior (the same minus log p_beta(x|z)).
//
// A chain is graph code (Unroll): its K steps are unrolled inside one graph, its noise is one [K, N, d]
// node (drawn in the graph from a Philox state, or given: the caller's choice), the step sizes are a [K]
// input (schedules and warm-ups cost no recompilation), and every step is checked in the graph: the first
// step at which a chain's energy is NaN, infinite or beyond MaxEnergy, or at which z stops being finite, is
// recorded per chain (Fault) and reported by the host as a ChainError naming the chain, the training
// iteration, the step and the step size. Nothing crosses between host and device inside a chain. The
// learning iteration (package learn) puts both of its chains and the parameter updates in one graph;
// Langevin runs one chain for evaluation, sampling and reconstruction, its noise drawn from the caller's
// seeded generator and passed in once per call.
//
// Chains are unrolled rather than put in a While loop because graph.Gradient inside a While body fails to
// execute on the Go backend (GoMLX v0.28.2 and v0.28.16: "input 0 for node Mul not computed yet", even for
// E = sum z*z).
package sampler
