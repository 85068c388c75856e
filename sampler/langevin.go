package sampler

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// MaxEnergy bounds |E(z)|: beyond it a chain is reported as exploded.
const MaxEnergy = 1e7

// Segment is the most steps Langevin.Run unrolls in one graph: longer chains run as several calls of the
// same graph (the last one with its tail steps switched off), so that a 3000-step test chain does not
// compile a 3000-step graph. The learning iteration unrolls its chains whole.
const Segment = 50

// Energy computes per-chain energies [N] for z [N, d]; extra are the data the energy depends on (for the
// posterior: the batch). Chains must not interact: E is a sum of per-row terms.
type Energy func(scope *model.Scope, z *graph.Node, extra []*graph.Node) *graph.Node

// Fault codes (Trace.Code).
const (
	FaultNone          = 0
	FaultEnergyNaN     = 1 // E(z_k) is NaN or infinite
	FaultEnergyExplode = 2 // |E(z_k)| > MaxEnergy
	FaultZ             = 3 // z_{k+1} has a NaN or infinite entry
)

// Trace is an unrolled chain in a graph: its end, the energies of the last state visited before the final
// active step, and per chain the first faulty step.
type Trace struct {
	Z      *graph.Node // z_K [N, d]
	Energy *graph.Node // E(z_{active-1}) [N] (zeros when no step is active)
	Fault  Fault
}

// Fault records, per chain, the first faulty step: Step [N] int32 (-1: none), Code [N] int32 (Fault*),
// Index [N] int32 (the entry of z for FaultZ) and Value [N] float32 (the energy, or that entry of z).
type Fault struct {
	Step, Code, Index, Value *graph.Node
}

// Nodes lists the fault's nodes (the order FaultValues reads them in).
func (f Fault) Nodes() []*graph.Node { return []*graph.Node{f.Step, f.Code, f.Index, f.Value} }

// Unroll builds a chain of K = len(steps) steps on energy from z0 [N, d]: steps [K] float32 are the step
// sizes; a step of size 0 leaves z unchanged and steps k >= active (an int32 scalar) are not checked (so
// a chain shorter than the graph is its first active steps with the rest switched off); noise [K, N, d]
// are the steps' N(0, I) draws (drawn in the graph or given: see learn.Iteration). Gradients are taken
// with respect to z only: the energy is differentiated at Identity(z_k), and the returned z_K carries no
// gradient to the energy's variables. The fault checks run once, after the last step, on the stacked
// energies and states ([K, N] and [K, N, d]): on the Go backend every op costs a few microseconds
// whatever its size, and the prior chain's steps are small.
func Unroll(energy func(z *graph.Node) *graph.Node, z0, steps, active, noise *graph.Node) Trace {
	n, d := z0.Shape().Dimensions[0], z0.Shape().Dimensions[1]
	K := steps.Shape().Dimensions[0]
	half := graph.MulScalar(graph.Square(steps), 0.5) // s_k^2 / 2
	z := graph.StopGradient(z0)
	es, zs := make([]*graph.Node, K), make([]*graph.Node, K)
	for k := 0; k < K; k++ {
		zVar := graph.Identity(z)
		e := energy(zVar)
		grad := graph.Gradient(graph.ReduceAllSum(e), zVar)[0]
		at := func(v *graph.Node) *graph.Node { return graph.Reshape(graph.Slice(v, graph.AxisRange(k, k+1))) }
		eps := graph.Reshape(graph.Slice(noise, graph.AxisRange(k, k+1)), n, d)
		z = graph.StopGradient(graph.Add(graph.Sub(z, graph.Mul(at(half), grad)), graph.Mul(at(steps), eps)))
		es[k], zs[k] = graph.StopGradient(e), z
	}
	energies := graph.Stack(es, 0) // [K, N]
	all := graph.Stack(zs, 0)      // [K, N, d]: z_{k+1}
	notFinite := graph.LogicalNot(graph.IsFinite(all))
	zBad := graph.ReduceLogicalOr(notFinite, -1)
	zIdx := graph.ArgMax(graph.ConvertDType(notFinite, dtypes.Int32), -1, dtypes.Int32) // the first non-finite entry
	zVal := graph.ReduceSum(graph.Where(notFinite, all, graph.ZerosLike(all)), -1)      // NaN or +-Inf
	return Trace{Z: z, Energy: atStep(energies, graph.SubScalar(active, 1)),
		Fault: findFault(energies, zBad, zIdx, zVal, active)}
}

// atStep picks row k of x [K, N] ([N]; zeros when k is outside [0, K)).
func atStep(x, k *graph.Node) *graph.Node {
	steps := graph.Iota(x.Graph(), shapes.Make(dtypes.Int32, x.Shape().Dimensions...), 0)
	return graph.ReduceSum(graph.Where(graph.Equal(steps, k), x, graph.ZerosLike(x)), 0)
}

// findFault is, per chain, the first active step whose energy (energies [K, N]) is NaN, infinite or beyond
// MaxEnergy, or after which z is not finite (zBad [K, N], at entry zIdx with value zVal).
func findFault(energies, zBad, zIdx, zVal, active *graph.Node) Fault {
	g := energies.Graph()
	i32 := func(v int) *graph.Node { return graph.Const(g, int32(v)) }
	steps := graph.Iota(g, shapes.Make(dtypes.Int32, energies.Shape().Dimensions...), 0)
	eBad := graph.LogicalNot(graph.IsFinite(energies))
	eBig := graph.GreaterThan(graph.Abs(energies), graph.Const(g, float32(MaxEnergy)))
	code := graph.Where(eBad, i32(FaultEnergyNaN), graph.Where(eBig, i32(FaultEnergyExplode), graph.Where(zBad, i32(FaultZ), i32(FaultNone))))
	bad := graph.LogicalAnd(graph.NotEqual(code, i32(FaultNone)), graph.LessThan(steps, active))
	first := graph.ArgMax(graph.ConvertDType(bad, dtypes.Int32), 0, dtypes.Int32) // the first bad step (0 when none)
	at := func(x *graph.Node) *graph.Node {
		return graph.ReduceSum(graph.Where(graph.Equal(steps, graph.ExpandAxes(first, 0)), x, graph.ZerosLike(x)), 0)
	}
	found := graph.ReduceLogicalOr(bad, 0)
	return Fault{
		Step:  graph.Where(found, first, i32(-1)),
		Code:  at(code),
		Index: at(zIdx),
		Value: at(graph.Where(graph.Equal(code, i32(FaultZ)), zVal, energies)),
	}
}

// FaultValues are a Fault read back on the host.
type FaultValues struct {
	Step, Code, Index []int32
	Value             []float32
}

// ReadFault reads the fault's four outputs (in Fault.Nodes order).
func ReadFault(out []*tensors.Tensor) FaultValues {
	return FaultValues{Step: tensors.MustCopyFlatData[int32](out[0]), Code: tensors.MustCopyFlatData[int32](out[1]),
		Index: tensors.MustCopyFlatData[int32](out[2]), Value: tensors.MustCopyFlatData[float32](out[3])}
}

// Err is the ChainError of the earliest faulty step (the lowest chain among ties), or nil. steps are the
// chain's step sizes; offset is added to the step index (the chain's earlier segments).
func (f FaultValues) Err(chain string, iteration, offset int, steps []float32) error {
	row := -1
	for r, k := range f.Step {
		if k >= 0 && (row < 0 || k < f.Step[row]) {
			row = r
		}
	}
	if row < 0 {
		return nil
	}
	k := int(f.Step[row])
	what := ""
	switch f.Code[row] {
	case FaultEnergyNaN:
		what = fmt.Sprintf("energy is %v", f.Value[row])
	case FaultEnergyExplode:
		what = fmt.Sprintf("energy %.3g exceeds %.0g", f.Value[row], float64(MaxEnergy))
	default:
		what = fmt.Sprintf("z[%d] is %v", f.Index[row], f.Value[row])
	}
	return &ChainError{Chain: chain, Iteration: iteration, Step: offset + k, Row: row, StepSize: float64(steps[k]), What: what}
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
	if e.Iteration < 0 { // an evaluation or sampling chain of a trained model
		return fmt.Sprintf("%s Langevin chain diverged at step %d, chain %d (step size %g): %s; "+
			"try a smaller step size, or, if the model's own training diverged, an earlier checkpoint (a step-N directory of the run)",
			e.Chain, e.Step, e.Row, e.StepSize, e.What)
	}
	return fmt.Sprintf("%s Langevin chain diverged at iteration %d, step %d, chain %d (step size %g): %s; "+
		"try a smaller step size", e.Chain, e.Iteration, e.Step, e.Row, e.StepSize, e.What)
}

// Schedule gives the step size of step k of a K-step chain.
type Schedule func(k, K int) float64

// Constant is the fixed step size schedule.
func Constant(s float64) Schedule { return func(int, int) float64 { return s } }

// Steps lays out k steps of schedule in a vector of length n >= k, the steps from k on of size 0.
func Steps(schedule Schedule, k, n int) []float32 {
	out := make([]float32, n)
	for i := 0; i < k; i++ {
		out[i] = float32(schedule(i, k))
	}
	return out
}

// NewRNG returns a generator state for the device's noise, drawn from rng (so that a host-seeded caller
// gets reproducible chains).
func NewRNG(rng *rand.Rand) *tensors.Tensor {
	state := make([]uint64, compute.RNGStateShape.Size())
	for i := range state {
		state[i] = rng.Uint64()
	}
	return tensors.FromFlatDataAndDimensions(state, compute.RNGStateShape.Dimensions...)
}

// RNGShape is the shape of a generator state.
var RNGShape = compute.RNGStateShape

// Langevin is a compiled chain for one energy, run from the host.
type Langevin struct {
	Name string // "prior" or "posterior": used in errors
	exec *model.Exec
}

// Result is the end of a chain: z [N*d] and the energies of the last state visited before the final step.
type Result struct {
	Z      []float32
	Energy []float32 // E(z_{K-1}) per chain (empty if K = 0)
}

// New compiles a chain on energy (graphs are built lazily, once per input shape and segment length).
// The graph takes (z [N,d], steps [L], active int32, noise [L,N,d], extra...) and returns (z_L,
// E(z_{L-1}), the fault's four outputs).
func New(backend compute.Backend, scope *model.Scope, name string, energy Energy) (*Langevin, error) {
	exec, err := model.NewExec(backend, scope.Store(), func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		extra := in[4:]
		t := Unroll(func(z *graph.Node) *graph.Node { return energy(scope, z, extra) }, in[0], in[1], in[2], in[3])
		return append([]*graph.Node{t.Z, t.Energy}, t.Fault.Nodes()...)
	})
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(64)
	return &Langevin{Name: name, exec: exec}, nil
}

// Run advances N chains of dimension d from z0 (flat [N*d], not modified) for K steps of size
// schedule(k, K), with noise drawn from rng on the host (one [L, N, d] input per call). extra are passed to
// the energy (tensors or Go values). iteration is only used in errors. Chains longer than Segment run as
// several calls of one Segment-step graph.
func (l *Langevin) Run(z0 []float32, N, d, K int, schedule Schedule, rng *rand.Rand, iteration int, extra ...any) (*Result, error) {
	if len(z0) != N*d {
		return nil, fmt.Errorf("%s chain: z0 has %d values, want %d x %d", l.Name, len(z0), N, d)
	}
	res := &Result{Z: append([]float32(nil), z0...)}
	if K == 0 {
		return res, nil
	}
	L := min(K, Segment)
	z := any(tensors.FromFlatDataAndDimensions(res.Z, N, d))
	for start := 0; start < K; start += L {
		n := min(L, K-start)
		steps := make([]float32, L) // this segment's step sizes only: K may be large
		for i := range n {
			steps[i] = float32(schedule(start+i, K))
		}
		noise := make([]float32, L*N*d)
		for i := range noise[:n*N*d] {
			noise[i] = float32(rng.NormFloat64())
		}
		args := append([]any{z, tensors.FromFlatDataAndDimensions(steps, L), int32(n), tensors.FromFlatDataAndDimensions(noise, L, N, d)}, extra...)
		out, err := l.exec.Exec(args...)
		if err != nil {
			return nil, fmt.Errorf("%s chain steps %d-%d: %w", l.Name, start, start+n-1, err)
		}
		if err := ReadFault(out[2:6]).Err(l.Name, iteration, start, steps); err != nil {
			return nil, err
		}
		z = out[0]
		if start+n == K {
			res.Energy = tensors.MustCopyFlatData[float32](out[1])
		}
	}
	res.Z = tensors.MustCopyFlatData[float32](z.(*tensors.Tensor))
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

// RNGFromState makes a generator-state tensor from its saved words (nil or wrong length: an error).
func RNGFromState(words []uint64) (*tensors.Tensor, error) {
	if len(words) != RNGShape.Size() {
		return nil, fmt.Errorf("generator state has %d words, want %d", len(words), RNGShape.Size())
	}
	return tensors.FromFlatDataAndDimensions(append([]uint64(nil), words...), RNGShape.Dimensions...), nil
}

// NewChains compiles the two chains of a latent-prior model (the same for every generator family): the
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
