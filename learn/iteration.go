package learn

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// Generator is what a generator family gives the learning iteration: log p_beta(x|z) as graph code.
type Generator interface {
	// Likelihood returns, for the batch whose graph inputs are data (in the family's order), the function
	// z [N, d] -> log p_beta(x_i | z_i) [N]. It is called once per graph: work that does not depend on z
	// (the text decoder's input projections) is done there, once for both the chain and the update.
	Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node
}

// FitGenerator is a Generator with a second form of its likelihood for the losses, whose gradients with
// respect to the generator's parameters the updates take (text: the decoder's fused dense layers, whose
// backward pass computes the weights' gradients without large transpositions but computes them even
// when only z's gradient is wanted).
type FitGenerator interface {
	Generator
	// Likelihoods returns, for the batch whose graph inputs are data, Likelihood's function (for the
	// chains) and the losses' (the same values), sharing the work that does not depend on z.
	Likelihoods(data []*graph.Node) (chain, fit func(z *graph.Node) *graph.Node)
}

// likelihoods are gen's functions for the chains and the losses (the same one unless gen is a
// FitGenerator).
func likelihoods(gen Generator, data []*graph.Node) (chain, fit func(z *graph.Node) *graph.Node) {
	if f, ok := gen.(FitGenerator); ok {
		return f.Likelihoods(data)
	}
	like := gen.Likelihood(data)
	return like, like
}

// Auxiliary is a family's auxiliary training loss on z: for the batch whose graph inputs are data, the
// function z [N, d] -> loss_i [N] (already weighted). It is added to the generator's loss at the posterior
// samples and to the encoder's at its draws, so that it shapes what z carries; the posterior chain and
// every evaluation use log p_beta(x|z) alone (text: the bag-of-words loss, text.BoW).
type Auxiliary func(data []*graph.Node) func(z *graph.Node) *graph.Node

// Encoder is a family's inference network q_phi(z|x) = N(mu(x), diag exp(logVar(x))), [N, d] each.
type Encoder interface {
	Encode(data []*graph.Node) (mu, logVar *graph.Node)
}

// Where the posterior chain starts (Parts.PosteriorStart).
const (
	StartNoise   = "noise"   // z0 ~ N(0, I), drawn in the graph
	StartGiven   = "given"   // z0 is an input (persistent chains: the host keeps each example's state)
	StartEncoder = "encoder" // z0 = mu(x) + sigma(x) eps, a draw of the inference network
)

// Parts are the model parts the iteration updates, each with its own optimizer. Encoder and Synth are
// optional (nil); a gaussian prior has no variables and no chain.
type Parts struct {
	Prior    *prior.Prior
	PriorOpt *optim.Adam
	Gen      Generator
	GenOpt   *optim.Adam
	Aux      Auxiliary // nil: none
	Encoder  Encoder
	EncOpt   *optim.Adam
	Synth    *prior.Synthesis
	SynthOpt *optim.Adam
	ZDim     int
	// K0 and K1 are the lengths the chains are unrolled to (a K1 warm-up runs fewer steps: the rest get
	// step size 0); PosteriorStart is a Start* constant.
	K0, K1         int
	PosteriorStart string
	// The inference network's objective: free bits (0: off) and whether its rate is measured against the
	// model's prior (KL(q || N(0, I)) - E_q f_alpha) or against N(0, I) only.
	FreeBits     float64
	RateAgainstF bool
	// HostNoise: the chains' N(0, I) draws are inputs (Inputs.PriorNoise, PosteriorNoise), drawn by the
	// caller; otherwise they are drawn in the graph from the Philox states PriorRNG, PosteriorRNG. On the Go
	// backend the host's ziggurat is several times cheaper than the graph's Box-Muller (its per-element log
	// and cos were ~40% of the embedded preset's 60-step prior chain); on an accelerator the draws stay on
	// the device.
	HostNoise bool
	// ChainData: the inputs hold a second copy of the family's data (Inputs.ChainData) from which the
	// posterior chain and the encoder's start infer z; the losses use Inputs.Data.
	ChainData bool
}

// Iteration is the whole learning iteration of DESIGN.md compiled as one graph (per batch shape):
//
//  1. prior chain: z ~ N(0, I) (or q_psi), K0 Langevin steps on E_alpha(z) = -f_alpha(z) + ||z||^2/2;
//  2. posterior chain: z ~ N(0, I) (or given, or q_phi(z|x)), K1 steps on lambda E_alpha(z) - log p_beta(x|z);
//  3. generator: Adam on -mean_i log p_beta(x_i | z_post_i) (its clip), plus the family's auxiliary loss
//     at z_post when it has one (Parts.Aux);
//  4. prior: Adam on mean f(z_prior) - mean f(z_post);
//  5. encoder: Adam on mean_i [-log p_beta(x_i|z_i) + lambda (KL(q_phi(.|x_i) || N(0,I)) - f(z_i))],
//     z_i = mu(x_i) + sigma(x_i) eps_i (free bits on the KL; the f term only when RateAgainstF), plus the
//     auxiliary loss at z_i;
//     synthesis: Adam on KL(q_psi || p_alpha) up to its constant.
//
// Every loss is evaluated at the parameters the iteration started from. The noise comes from two streams
// (prior chain and synthesis; posterior chain and encoder): generator states that enter and leave the
// graph, or (Parts.HostNoise) draws the caller makes; either way the caller checkpoints them. The updates are applied only when the iteration is sound: neither
// chain faulted and every loss, gradient norm and updated variable is finite and below 1e30; otherwise every variable keeps
// its value and the outputs say why.
type Iteration struct {
	parts Parts
	exec  *model.Exec
	nData int
}

// Stats are an iteration's scalar outputs.
type Stats = StatsOf[float64]

// StatsOf are an iteration's statistics: float64 values on the host (Stats), graph nodes while the
// iteration is built. Their order in the graph's stats output is the order of the fields (fields).
type StatsOf[T any] struct {
	SumLogP      T // sum over the batch of log p_beta(x|z_post)
	PriorLoss    T // mean f(z_prior) - mean f(z_post)
	FPost        T
	FPrior       T
	GenNorm      T // generator gradient norm before clipping
	PriorNorm    T
	EncLoss      T // encoder's negative ELBO up to log Z (0 without the encoder)
	EncKL        T // mean KL(q_phi(z|x) || N(0, I))
	SynthLoss    T // KL(q_psi || p_alpha) up to its constant (0 without the synthesis network)
	Displacement T // mean_i ||z_post_i - z0_i|| of the posterior chains
	AuxLoss      T // mean auxiliary loss at z_post (0 without one)
	// MaxParam is the largest |v| over the updated float32 variables (parameters and optimizer state)
	// after the updates, a non-finite value counting as +Inf: a finite but blown-up model (a learning rate
	// far too large) makes the iteration unsound.
	MaxParam T
}

// fields are the statistics in their order in the graph's stats vector.
func (s *StatsOf[T]) fields() []*T {
	return []*T{&s.SumLogP, &s.PriorLoss, &s.FPost, &s.FPrior, &s.GenNorm, &s.PriorNorm, &s.EncLoss, &s.EncKL,
		&s.SynthLoss, &s.Displacement, &s.AuxLoss, &s.MaxParam}
}

// Inputs are one iteration's inputs besides the parameters.
type Inputs struct {
	Data               []any           // the batch's graph inputs, in the family's order
	ChainData          []any           // with Parts.ChainData: the posterior chain's version of the batch
	PriorStepSizes     []float32       // [K0] step sizes of the prior chain
	PosteriorStepSizes []float32       // [K1] step sizes of the posterior chain (0 past a warm-up's length)
	PosteriorK         int             // steps of the posterior chain that are on (the rest have size 0)
	Lambda             float64         // prior weight in the posterior chain and the encoder's rate
	PriorRNG           *tensors.Tensor // the device generator states (without HostNoise)
	PosteriorRNG       *tensors.Tensor
	// With HostNoise: N(0, I) draws, flat [(1+K)*N*d] each, K the chain's graph length (len of its step
	// sizes): the first N*d start the chain (or feed the synthesis network / the encoder), the rest are the
	// steps' noise.
	PriorNoise, PosteriorNoise []float32
	Z0                         []float32 // the posterior chain's start for StartGiven, flat [N*d]
	Iteration                  int       // for error reports
}

// Outputs are an iteration's results. Err is a *sampler.ChainError when a chain faulted, or the error of
// a non-finite loss; the parameters were then left as they were.
type Outputs struct {
	Stats        Stats
	ZPost        []float32       // [N*d]
	PriorRNG     *tensors.Tensor // the advanced device generator states (nil with HostNoise)
	PosteriorRNG *tensors.Tensor
	Err          error
}

// NewIteration compiles the iteration for parts; nData is the number of the family's data inputs.
func NewIteration(backend compute.Backend, store *model.Store, parts Parts, nData int) (*Iteration, error) {
	it := &Iteration{parts: parts, nData: nData}
	exec, err := model.NewExec(backend, store, func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		return it.build(store, in)
	})
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(64)
	it.exec = exec
	return it, nil
}

// ioOf are the iteration graph's inputs besides the variables: graph nodes while it is built, host
// values (tensors and scalars) when it runs. Their order in the graph is the order of slots.
type ioOf[T any] struct {
	data                  []T // the family's data inputs
	chainData             []T // with Parts.ChainData: the posterior chain's copy of them
	priorSteps, postSteps T   // [K0], [K1] step sizes
	postK                 T   // int32: posterior steps that are on
	lambda                T   // float32: prior weight
	// The two noise streams: a generator state each, or with Parts.HostNoise the draws [1+K, N, d].
	priorSrc, postSrc T
	z0                T // with StartGiven: the posterior chain's start [N, d]
}

// slots are the inputs in graph order: data...[, chain data...], prior steps, posterior steps, posterior K,
// lambda, prior stream, posterior stream[, z0]. The data slices are allocated to nData here.
func (io *ioOf[T]) slots(p Parts, nData int) []*T {
	io.data = make([]T, nData)
	var out []*T
	for i := range io.data {
		out = append(out, &io.data[i])
	}
	if p.ChainData {
		io.chainData = make([]T, nData)
		for i := range io.chainData {
			out = append(out, &io.chainData[i])
		}
	}
	out = append(out, &io.priorSteps, &io.postSteps, &io.postK, &io.lambda, &io.priorSrc, &io.postSrc)
	if p.PosteriorStart == StartGiven {
		out = append(out, &io.z0)
	}
	return out
}

// resultsOf are the iteration graph's outputs (besides the updated variables, which GoMLX returns first),
// in the order of slots: the statistics [len(Stats.fields)] as float32, z_post [N, d], whether the
// iteration was sound (bool), each chain's first fault (sampler.Fault.Nodes: step, code, index, value),
// and without Parts.HostNoise the advanced generator states.
type resultsOf[T any] struct {
	stats, zPost, sound   T
	priorFault, postFault [4]T
	priorRNG, postRNG     T
}

func (r *resultsOf[T]) slots(p Parts) []*T {
	out := []*T{&r.stats, &r.zPost, &r.sound}
	for i := range r.priorFault {
		out = append(out, &r.priorFault[i])
	}
	for i := range r.postFault {
		out = append(out, &r.postFault[i])
	}
	if !p.HostNoise {
		out = append(out, &r.priorRNG, &r.postRNG)
	}
	return out
}

// rows is the batch size: the first dimension of the first data input.
func (in *Inputs) rows() int {
	if t, ok := in.Data[0].(*tensors.Tensor); ok {
		return t.Shape().Dimensions[0]
	}
	return 0
}

// Run executes one iteration.
func (it *Iteration) Run(in Inputs) (*Outputs, error) {
	args, err := it.args(in)
	if err != nil {
		return nil, err
	}
	flat, err := it.exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	var res resultsOf[*tensors.Tensor]
	for i, slot := range res.slots(it.parts) {
		*slot = flat[i]
	}
	out := &Outputs{ZPost: tensors.MustCopyFlatData[float32](res.zPost), PriorRNG: res.priorRNG, PosteriorRNG: res.postRNG}
	stats := tensors.MustCopyFlatData[float32](res.stats)
	for i, f := range out.Stats.fields() {
		*f = float64(stats[i])
	}
	if tensors.MustCopyFlatData[bool](res.sound)[0] {
		return out, nil
	}
	if out.Err = sampler.ReadFault(res.priorFault[:]).Err("prior", in.Iteration, 0, in.PriorStepSizes); out.Err != nil {
		return out, nil
	}
	if out.Err = sampler.ReadFault(res.postFault[:]).Err("posterior", in.Iteration, 0, in.PosteriorStepSizes); out.Err != nil {
		return out, nil
	}
	st := out.Stats
	out.Err = CheckFinite(in.Iteration, "sum log p(x|z)", st.SumLogP, "prior loss", st.PriorLoss, "generator gradient norm", st.GenNorm,
		"prior gradient norm", st.PriorNorm, "encoder loss", st.EncLoss, "synthesis loss", st.SynthLoss, "f(z_post)", st.FPost, "f(z_prior)", st.FPrior,
		"encoder KL", st.EncKL, "posterior displacement", st.Displacement, "auxiliary loss", st.AuxLoss, "max |variable| after the update (parameters, optimizer state)", st.MaxParam)
	// The graph compared float32 values with float32(1e30); a statistic within rounding of 1e30 may pass here.
	if out.Err == nil {
		out.Err = fmt.Errorf("iteration %d: a statistic is non-finite or beyond 1e30 (%+v); not saving: the last checkpoint is intact", in.Iteration, st)
	}
	return out, nil
}

// args are the graph's inputs for in (ioOf), checked against the compiled layout.
func (it *Iteration) args(in Inputs) ([]any, error) {
	p := it.parts
	if len(in.Data) != it.nData {
		return nil, fmt.Errorf("iteration: %d data inputs, want %d", len(in.Data), it.nData)
	}
	if p.ChainData && len(in.ChainData) != it.nData {
		return nil, fmt.Errorf("iteration: %d chain data inputs, want %d", len(in.ChainData), it.nData)
	}
	if len(in.PriorStepSizes) != max(p.K0, 1) || len(in.PosteriorStepSizes) != max(p.K1, 1) {
		return nil, fmt.Errorf("iteration: %d prior and %d posterior step sizes, want %d and %d", len(in.PriorStepSizes), len(in.PosteriorStepSizes), max(p.K0, 1), max(p.K1, 1))
	}
	var io ioOf[any]
	slots := io.slots(p, it.nData)
	copy(io.data, in.Data)
	copy(io.chainData, in.ChainData)
	io.priorSteps = tensors.FromFlatDataAndDimensions(in.PriorStepSizes, len(in.PriorStepSizes))
	io.postSteps = tensors.FromFlatDataAndDimensions(in.PosteriorStepSizes, len(in.PosteriorStepSizes))
	io.postK, io.lambda = int32(in.PosteriorK), float32(in.Lambda)
	io.priorSrc, io.postSrc = in.PriorRNG, in.PosteriorRNG
	if p.HostNoise {
		n := in.rows()
		draws := func(noise []float32, K int) (any, error) {
			if len(noise) != (1+K)*n*p.ZDim {
				return nil, fmt.Errorf("iteration: %d noise values, want %d = (1 + %d) x %d x %d", len(noise), (1+K)*n*p.ZDim, K, n, p.ZDim)
			}
			return tensors.FromFlatDataAndDimensions(noise, 1+K, n, p.ZDim), nil
		}
		var err error
		if io.priorSrc, err = draws(in.PriorNoise, len(in.PriorStepSizes)); err != nil {
			return nil, err
		}
		if io.postSrc, err = draws(in.PosteriorNoise, len(in.PosteriorStepSizes)); err != nil {
			return nil, err
		}
	}
	if p.PosteriorStart == StartGiven {
		if len(in.Z0)%p.ZDim != 0 || len(in.Z0) == 0 {
			return nil, fmt.Errorf("iteration: the given chain start has %d values, not a multiple of %d", len(in.Z0), p.ZDim)
		}
		io.z0 = tensors.FromFlatDataAndDimensions(in.Z0, len(in.Z0)/p.ZDim, p.ZDim)
	}
	args := make([]any, len(slots))
	for i, slot := range slots {
		args[i] = *slot
	}
	return args, nil
}
