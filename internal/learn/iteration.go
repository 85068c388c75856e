package learn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
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
type Stats struct {
	SumLogP      float64 // sum over the batch of log p_beta(x|z_post)
	PriorLoss    float64 // mean f(z_prior) - mean f(z_post)
	FPost        float64
	FPrior       float64
	GenNorm      float64 // generator gradient norm before clipping
	PriorNorm    float64
	EncLoss      float64 // encoder's negative ELBO up to log Z (0 without the encoder)
	EncKL        float64 // mean KL(q_phi(z|x) || N(0, I))
	SynthLoss    float64 // KL(q_psi || p_alpha) up to its constant (0 without the synthesis network)
	Displacement float64 // mean_i ||z_post_i - z0_i|| of the posterior chains
	AuxLoss      float64 // mean auxiliary loss at z_post (0 without one)
	// MaxParam is the largest |v| over the updated float32 variables (parameters and optimizer state)
	// after the updates, a non-finite value counting as +Inf: a finite but blown-up model (a learning rate
	// far too large) makes the iteration unsound.
	MaxParam float64
}

const numStats = 12

// Inputs are one iteration's inputs besides the parameters.
type Inputs struct {
	Data           []any           // the batch's graph inputs, in the family's order
	ChainData      []any           // with Parts.ChainData: the posterior chain's version of the batch
	PriorSteps     []float32       // [K0] step sizes of the prior chain
	PosteriorSteps []float32       // [K1] step sizes of the posterior chain (0 past a warm-up's length)
	PosteriorK     int             // steps of the posterior chain that are on (the rest have size 0)
	Lambda         float64         // prior weight in the posterior chain and the encoder's rate
	PriorRNG       *tensors.Tensor // the device generator states (without HostNoise)
	PosteriorRNG   *tensors.Tensor
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

// build lays out the graph: inputs (data...[, chain data...], priorSteps, posteriorSteps, posteriorK, lambda, priorRNG or
// prior draws, posteriorRNG or posterior draws[, z0]); outputs (stats [numStats], zPost, sound, prior
// fault x4, posterior fault x4[, priorRNG, posteriorRNG]).
func (it *Iteration) build(store *model.Store, in []*graph.Node) []*graph.Node {
	p := it.parts
	data := in[:it.nData]
	rest := in[it.nData:]
	chainData := data
	if p.ChainData {
		chainData, rest = rest[:it.nData], rest[it.nData:]
	}
	priorSteps, postSteps, postK, lambda, priorSrc, postSrc := rest[0], rest[1], rest[2], rest[3], rest[4], rest[5]
	g := priorSteps.Graph()
	n := data[0].Shape().Dimensions[0]

	// The values every loss is evaluated at: the parameters as the iteration found them.
	var vars []*model.Variable
	var start []*graph.Node
	for v := range store.IterVariables() {
		vars, start = append(vars, v), append(start, v.NodeValue(g))
	}
	zero := graph.ScalarZero(g, dtypes.Float32)
	none := func() sampler.Fault {
		m1 := graph.BroadcastToDims(graph.Const(g, int32(-1)), n)
		z32 := graph.BroadcastToDims(graph.Const(g, int32(0)), n)
		return sampler.Fault{Step: m1, Code: z32, Index: z32, Value: graph.BroadcastToDims(zero, n)}
	}

	// draws are a stream's N(0, I) values [1+K, N, d]: given, or drawn from its generator state.
	draws := func(src *graph.Node, K int) (state, first, chain *graph.Node) {
		all := src
		if !p.HostNoise {
			src, all = graph.RandomNormal(src, shapes.Make(dtypes.Float32, 1+K, n, p.ZDim))
		}
		return src, graph.Reshape(graph.Slice(all, graph.AxisRange(0, 1)), n, p.ZDim), graph.Slice(all, graph.AxisRange(1, 1+K))
	}
	priorRNG, zPrior, priorNoise := draws(priorSrc, priorSteps.Shape().Dimensions[0])
	postRNG, postFirst, postNoise := draws(postSrc, postSteps.Shape().Dimensions[0])

	// 1. Prior chain (its start and the synthesis network's draws from the prior stream).
	var synthEps *graph.Node
	priorFault := none()
	if p.Prior.Trainable() {
		if p.Synth != nil {
			synthEps = zPrior
			zPrior = graph.StopGradient(p.Synth.Sample(synthEps))
		}
		if p.K0 > 0 {
			t := sampler.Unroll(p.Prior.Energy, zPrior, priorSteps, graph.Const(g, int32(p.K0)), priorNoise)
			zPrior, priorFault = t.Z, t.Fault
		}
	}

	// 2. Posterior chain.
	like := p.Gen.Likelihood(data)
	chainLike := like
	if p.ChainData {
		chainLike = p.Gen.Likelihood(chainData)
	}
	var z0, encEps, mu, logVar *graph.Node
	switch p.PosteriorStart {
	case StartGiven:
		z0 = rest[6]
	case StartEncoder:
		encEps = postFirst
		mu, logVar = p.Encoder.Encode(chainData)
		z0 = graph.StopGradient(prior.Reparameterize(mu, logVar, encEps))
	default:
		z0 = postFirst
	}
	zPost, postFault := z0, none()
	if p.K1 > 0 {
		energy := func(z *graph.Node) *graph.Node { return graph.Sub(graph.Mul(p.Prior.Energy(z), lambda), chainLike(z)) }
		t := sampler.Unroll(energy, z0, postSteps, postK, postNoise)
		zPost, postFault = t.Z, t.Fault
	}

	// 3-5. Losses, all at the starting parameters, then the updates.
	logp := like(zPost)
	genLoss := graph.Neg(graph.ReduceAllMean(logp))
	auxLoss := zero
	var aux func(z *graph.Node) *graph.Node
	if p.Aux != nil {
		aux = p.Aux(data)
		auxLoss = graph.ReduceAllMean(aux(zPost))
		genLoss = graph.Add(genLoss, auxLoss)
	}
	fPost := graph.ReduceAllMean(p.Prior.F(zPost))
	fPrior := graph.ReduceAllMean(p.Prior.F(zPrior))
	priorLoss := graph.Sub(fPrior, fPost)
	encLoss, encKL, synthLoss := zero, zero, zero
	if p.Encoder != nil {
		z := prior.Reparameterize(mu, logVar, encEps)
		terms := prior.GaussianKLTerms(mu, logVar)
		kl := prior.FreeBits(terms, p.FreeBits)
		if p.RateAgainstF {
			kl = graph.Sub(kl, graph.ReduceAllMean(p.Prior.F(z)))
		}
		encLoss = graph.Sub(graph.Mul(lambda, kl), graph.ReduceAllMean(like(z)))
		if aux != nil {
			encLoss = graph.Add(encLoss, graph.ReduceAllMean(aux(z)))
		}
		encKL = graph.ReduceAllMean(graph.ReduceSum(terms, -1))
	}
	if p.Synth != nil {
		synthLoss = p.Synth.Loss(p.Prior, synthEps)
	}
	genNorm := p.GenOpt.Minimize(genLoss)
	priorNorm := p.PriorOpt.Minimize(priorLoss)
	if p.Encoder != nil {
		p.EncOpt.Minimize(encLoss)
	}
	if p.Synth != nil {
		p.SynthOpt.Minimize(synthLoss)
	}
	disp := graph.ReduceAllMean(graph.Sqrt(graph.ReduceSum(graph.Square(graph.Sub(zPost, z0)), -1)))
	maxParam := zero
	inf := graph.Const(g, float32(math.Inf(1)))
	for i, v := range vars {
		if now := v.NodeValue(g); now != start[i] && now.DType() == dtypes.Float32 {
			m := graph.ReduceAllMax(graph.Where(graph.IsFinite(now), graph.Abs(now), graph.BroadcastToShape(inf, now.Shape())))
			maxParam = graph.Max(maxParam, m)
		}
	}
	stats := []*graph.Node{graph.ReduceAllSum(logp), priorLoss, fPost, fPrior, genNorm, priorNorm, encLoss, encKL, synthLoss, disp, auxLoss, maxParam}
	for i, s := range stats {
		stats[i] = graph.ConvertDType(s, dtypes.Float32)
	}

	// Sound: no chain faulted, every statistic (the updated parameters' largest |v| included) finite and
	// below 1e30. Otherwise nothing moves.
	sound := graph.LogicalAnd(noFault(priorFault), noFault(postFault))
	for _, s := range stats {
		sound = graph.LogicalAnd(sound, graph.LogicalAnd(graph.IsFinite(s), graph.LessThan(graph.Abs(s), graph.Const(g, float32(1e30)))))
	}
	for i, v := range vars {
		if now := v.NodeValue(g); now != start[i] {
			v.SetNodeValue(graph.Where(sound, now, start[i]))
		}
	}
	out := []*graph.Node{graph.Stack(stats, 0), zPost, sound}
	out = append(append(out, priorFault.Nodes()...), postFault.Nodes()...)
	if !p.HostNoise {
		out = append(out, priorRNG, postRNG)
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

// noFault is true when no chain of f faulted.
func noFault(f sampler.Fault) *graph.Node {
	return graph.ReduceLogicalAnd(graph.Equal(f.Step, graph.Const(f.Step.Graph(), int32(-1))), -1)
}

// Run executes one iteration.
func (it *Iteration) Run(in Inputs) (*Outputs, error) {
	p := it.parts
	if len(in.Data) != it.nData {
		return nil, fmt.Errorf("iteration: %d data inputs, want %d", len(in.Data), it.nData)
	}
	if len(in.PriorSteps) != max(p.K0, 1) || len(in.PosteriorSteps) != max(p.K1, 1) {
		return nil, fmt.Errorf("iteration: %d prior and %d posterior step sizes, want %d and %d", len(in.PriorSteps), len(in.PosteriorSteps), max(p.K0, 1), max(p.K1, 1))
	}
	args := append([]any{}, in.Data...)
	if p.ChainData {
		if len(in.ChainData) != it.nData {
			return nil, fmt.Errorf("iteration: %d chain data inputs, want %d", len(in.ChainData), it.nData)
		}
		args = append(args, in.ChainData...)
	}
	args = append(args,
		tensors.FromFlatDataAndDimensions(in.PriorSteps, len(in.PriorSteps)),
		tensors.FromFlatDataAndDimensions(in.PosteriorSteps, len(in.PosteriorSteps)),
		int32(in.PosteriorK), float32(in.Lambda))
	if p.HostNoise {
		n := in.rows()
		for _, x := range []struct {
			noise []float32
			K     int
		}{{in.PriorNoise, len(in.PriorSteps)}, {in.PosteriorNoise, len(in.PosteriorSteps)}} {
			if len(x.noise) != (1+x.K)*n*p.ZDim {
				return nil, fmt.Errorf("iteration: %d noise values, want %d = (1 + %d) x %d x %d", len(x.noise), (1+x.K)*n*p.ZDim, x.K, n, p.ZDim)
			}
			args = append(args, tensors.FromFlatDataAndDimensions(x.noise, 1+x.K, n, p.ZDim))
		}
	} else {
		args = append(args, in.PriorRNG, in.PosteriorRNG)
	}
	if p.PosteriorStart == StartGiven {
		if len(in.Z0)%p.ZDim != 0 || len(in.Z0) == 0 {
			return nil, fmt.Errorf("iteration: the given chain start has %d values, not a multiple of %d", len(in.Z0), p.ZDim)
		}
		args = append(args, tensors.FromFlatDataAndDimensions(in.Z0, len(in.Z0)/p.ZDim, p.ZDim))
	}
	res, err := it.exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	s := tensors.MustCopyFlatData[float32](res[0])
	f := func(i int) float64 { return float64(s[i]) }
	out := &Outputs{
		Stats: Stats{SumLogP: f(0), PriorLoss: f(1), FPost: f(2), FPrior: f(3), GenNorm: f(4), PriorNorm: f(5),
			EncLoss: f(6), EncKL: f(7), SynthLoss: f(8), Displacement: f(9), AuxLoss: f(10), MaxParam: f(11)},
		ZPost: tensors.MustCopyFlatData[float32](res[1]),
	}
	if !p.HostNoise {
		out.PriorRNG, out.PosteriorRNG = res[11], res[12]
	}
	if tensors.MustCopyFlatData[bool](res[2])[0] {
		return out, nil
	}
	if out.Err = sampler.ReadFault(res[3:7]).Err("prior", in.Iteration, 0, in.PriorSteps); out.Err != nil {
		return out, nil
	}
	if out.Err = sampler.ReadFault(res[7:11]).Err("posterior", in.Iteration, 0, in.PosteriorSteps); out.Err != nil {
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
