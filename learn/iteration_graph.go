package learn

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// The learning iteration's graph (Iteration's steps 1-5), built in phases: chains, losses, updates, and
// the soundness check that decides whether the updates are kept.

// builder holds what every phase of the graph needs.
type builder struct {
	p    Parts
	g    *graph.Graph
	n    int         // batch rows
	zero *graph.Node // float32 0
}

// chained is what the chains leave for the losses: their results, faults and noise.
type chained struct {
	zPrior, z0, zPost     *graph.Node
	priorFault, postFault sampler.Fault
	priorRNG, postRNG     *graph.Node                     // the advanced streams (their draws without HostNoise)
	synthEps, encEps      *graph.Node                     // the synthesis network's and the encoder's N(0, I) draws
	mu, logVar            *graph.Node                     // the encoder's q_phi(z|x) (StartEncoder)
	like, fit             func(z *graph.Node) *graph.Node // log p_beta(x|z) for the chain and for the losses
}

// build lays out the graph (inputs and outputs: ioOf, resultsOf): the chains, every loss at the starting
// parameters, the updates, and the check that decides whether they are kept.
func (it *Iteration) build(store *model.Store, flat []*graph.Node) []*graph.Node {
	var in ioOf[*graph.Node]
	for i, slot := range in.slots(it.parts, it.nData) {
		*slot = flat[i]
	}
	g := in.priorSteps.Graph()
	b := &builder{p: it.parts, g: g, n: in.data[0].Shape().Dimensions[0]}

	// The values every loss is evaluated at: the parameters as the iteration found them.
	var vars []*model.Variable
	var start []*graph.Node
	for v := range store.IterVariables() {
		vars, start = append(vars, v), append(start, v.NodeValue(g))
	}
	b.zero = graph.ScalarZero(g, dtypes.Float32)
	c := b.chains(in)
	st, genLoss, encLoss := b.losses(in, c)
	if b.joint() {
		st.GenNorm = optim.Minimize(encLoss, b.p.GenOpt, b.p.EncOpt)[0]
	} else {
		st.GenNorm = b.p.GenOpt.Minimize(genLoss)
		if b.p.Encoder != nil {
			b.p.EncOpt.Minimize(encLoss)
		}
	}
	st.PriorNorm = b.p.PriorOpt.Minimize(st.PriorLoss)
	if b.p.Synth != nil {
		b.p.SynthOpt.Minimize(st.SynthLoss)
	}
	st.Displacement = graph.ReduceAllMean(graph.Sqrt(graph.ReduceSum(graph.Square(graph.Sub(c.zPost, c.z0)), -1)))
	st.MaxParam = b.maxParam(vars, start)
	stats := st.fields()
	for _, s := range stats {
		*s = graph.ConvertDType(*s, dtypes.Float32)
	}

	// Sound: no chain faulted, every statistic (the updated parameters' largest |v| included) finite and
	// below 1e30. Otherwise nothing moves.
	sound := graph.LogicalAnd(noFault(c.priorFault), noFault(c.postFault))
	values := make([]*graph.Node, len(stats))
	for i, s := range stats {
		values[i] = *s
		sound = graph.LogicalAnd(sound, graph.LogicalAnd(graph.IsFinite(*s), graph.LessThan(graph.Abs(*s), graph.Const(g, float32(1e30)))))
	}
	for i, v := range vars {
		if now := v.NodeValue(g); now != start[i] {
			v.SetNodeValue(graph.Where(sound, now, start[i]))
		}
	}
	res := resultsOf[*graph.Node]{stats: graph.Stack(values, 0), zPost: c.zPost, sound: sound,
		priorRNG: c.priorRNG, postRNG: c.postRNG}
	copy(res.priorFault[:], c.priorFault.Nodes())
	copy(res.postFault[:], c.postFault.Nodes())
	var out []*graph.Node
	for _, slot := range res.slots(b.p) {
		out = append(out, *slot)
	}
	return out
}

// noFaults are the fault records of chains that did not run.
func (b *builder) noFaults() sampler.Fault {
	m1 := graph.BroadcastToDims(graph.Const(b.g, int32(-1)), b.n)
	z32 := graph.BroadcastToDims(graph.Const(b.g, int32(0)), b.n)
	return sampler.Fault{Step: m1, Code: z32, Index: z32, Value: graph.BroadcastToDims(b.zero, b.n)}
}

// draws are a stream's N(0, I) values [1+K, N, d], given (HostNoise) or drawn from its generator state
// src: the advanced state (src itself when given), the first [N, d] and the chain's [K, N, d].
func (b *builder) draws(src *graph.Node, K int) (state, first, chain *graph.Node) {
	all := src
	if !b.p.HostNoise {
		src, all = graph.RandomNormal(src, shapes.Make(dtypes.Float32, 1+K, b.n, b.p.ZDim))
	}
	return src, graph.Reshape(graph.Slice(all, graph.AxisRange(0, 1)), b.n, b.p.ZDim), graph.Slice(all, graph.AxisRange(1, 1+K))
}

// chains runs 1. the prior chain (its start and the synthesis network's draws from the prior stream) and
// 2. the posterior chain (from noise, the given start, or the encoder's draw, from the posterior stream).
func (b *builder) chains(in ioOf[*graph.Node]) chained {
	p := b.p
	var c chained
	c.priorFault, c.postFault = b.noFaults(), b.noFaults()
	var priorNoise, postFirst, postNoise *graph.Node
	c.priorRNG, c.zPrior, priorNoise = b.draws(in.priorSrc, in.priorSteps.Shape().Dimensions[0])
	c.postRNG, postFirst, postNoise = b.draws(in.postSrc, in.postSteps.Shape().Dimensions[0])
	if p.Prior.Trainable() {
		if p.Synth != nil {
			c.synthEps = c.zPrior
			c.zPrior = graph.StopGradient(p.Synth.Sample(c.synthEps))
		}
		if p.K0 > 0 {
			t := sampler.Unroll(p.Prior.Energy, c.zPrior, in.priorSteps, graph.Const(b.g, int32(p.K0)), priorNoise)
			c.zPrior, c.priorFault = t.Z, t.Fault
		}
	}

	c.like, c.fit = likelihoods(p.Gen, in.data)
	chainData, chainLike := in.data, c.like
	if p.ChainData {
		chainData, chainLike = in.chainData, p.Gen.Likelihood(in.chainData)
	}
	switch p.PosteriorStart {
	case StartGiven:
		c.z0 = in.z0
	case StartEncoder:
		c.encEps = postFirst
		c.mu, c.logVar = p.Encoder.Encode(chainData)
		c.z0 = graph.StopGradient(prior.Reparameterize(c.mu, c.logVar, c.encEps))
	default:
		c.z0 = postFirst
	}
	c.zPost = c.z0
	if p.K1 > 0 {
		energy := func(z *graph.Node) *graph.Node {
			return graph.Sub(graph.Mul(p.Prior.Energy(z), in.lambda), chainLike(z))
		}
		t := sampler.Unroll(energy, c.z0, in.postSteps, in.postK, postNoise)
		c.zPost, c.postFault = t.Z, t.Fault
	}
	return c
}

// joint reports whether the generator's and the encoder's losses are one pass: with no posterior chain
// (K1 = 0) z_post is the encoder's draw, so -log p_beta(x|z) at that draw is the generator's loss and
// the encoder's reconstruction term alike. One pass of the decoder (and one backward pass, optim.Minimize)
// then serves both updates: the generator's gradient of the encoder's loss is the generator's gradient of
// its own (the rest of the encoder's loss does not depend on the generator).
func (b *builder) joint() bool { return b.p.Encoder != nil && b.p.K1 == 0 }

// losses are 3-5, all at the starting parameters: the statistics they give, the generator's loss (with the
// auxiliary loss) and the encoder's (the same graph when joint).
func (b *builder) losses(in ioOf[*graph.Node], c chained) (st StatsOf[*graph.Node], genLoss, encLoss *graph.Node) {
	p := b.p
	var aux func(z *graph.Node) *graph.Node
	if p.Aux != nil {
		aux = p.Aux(in.data)
	}
	// fit is the generator's loss at z: -mean log p_beta(x|z), plus the auxiliary loss; its sum log p and
	// auxiliary loss are the statistics when z is z_post.
	fit := func(z *graph.Node) (loss, sumLogP, auxLoss *graph.Node) {
		logp := c.fit(z)
		loss, auxLoss = graph.Neg(graph.ReduceAllMean(logp)), b.zero
		if aux != nil {
			auxLoss = graph.ReduceAllMean(aux(z))
			loss = graph.Add(loss, auxLoss)
		}
		return loss, graph.ReduceAllSum(logp), auxLoss
	}
	if !b.joint() {
		genLoss, st.SumLogP, st.AuxLoss = fit(c.zPost)
	}
	st.FPost = graph.ReduceAllMean(p.Prior.F(c.zPost))
	st.FPrior = graph.ReduceAllMean(p.Prior.F(c.zPrior))
	st.PriorLoss = graph.Sub(st.FPrior, st.FPost)
	encLoss, st.EncKL, st.SynthLoss = b.zero, b.zero, b.zero
	if p.Encoder != nil {
		z := prior.Reparameterize(c.mu, c.logVar, c.encEps)
		terms := prior.GaussianKLTerms(c.mu, c.logVar)
		kl := prior.FreeBits(terms, p.FreeBits)
		if p.RateAgainstF {
			kl = graph.Sub(kl, graph.ReduceAllMean(p.Prior.F(z)))
		}
		zFit, sumLogP, auxLoss := fit(z)
		if b.joint() {
			genLoss, st.SumLogP, st.AuxLoss = zFit, sumLogP, auxLoss
		}
		encLoss = graph.Add(graph.Mul(in.lambda, kl), zFit)
		st.EncKL = graph.ReduceAllMean(graph.ReduceSum(terms, -1))
	}
	st.EncLoss = encLoss
	if p.Synth != nil {
		st.SynthLoss = p.Synth.Loss(p.Prior, c.synthEps)
	}
	return st, genLoss, encLoss
}

// maxParam is the largest |v| over the float32 variables the updates change, +Inf for a non-finite one.
func (b *builder) maxParam(vars []*model.Variable, start []*graph.Node) *graph.Node {
	m := b.zero
	inf := graph.Const(b.g, float32(math.Inf(1)))
	for i, v := range vars {
		if now := v.NodeValue(b.g); now != start[i] && now.DType() == dtypes.Float32 {
			m = graph.Max(m, graph.ReduceAllMax(graph.Where(graph.IsFinite(now), graph.Abs(now), graph.BroadcastToShape(inf, now.Shape()))))
		}
	}
	return m
}

// noFault is true when no chain of f faulted.
func noFault(f sampler.Fault) *graph.Node {
	return graph.ReduceLogicalAnd(graph.Equal(f.Step, graph.Const(f.Step.Graph(), int32(-1))), -1)
}
