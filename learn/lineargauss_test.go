package learn

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// linearGaussian is a third generator family, written as a user would: x = W z + sigma * noise, x in R^D,
// z in R^d, log p(x|z) = -||x - W z||^2 / (2 sigma^2) - D/2 log(2 pi sigma^2). With the gaussian prior its
// posterior is Gaussian in closed form: precision A = I + W^T W / sigma^2, mean A^{-1} W^T x / sigma^2.
type linearGaussian struct {
	w     *model.Variable // [d, D] (z is a row vector: x = z W)
	sigma float64
}

// The family's side of the core's interface (Family): its graph inputs and its generator's variables.
func (l linearGaussian) GeneratorVariables() []*model.Variable { return []*model.Variable{l.w} }
func (l linearGaussian) NumData() int                          { return 1 }

// Likelihood: data = (x [N, D]).
func (l linearGaussian) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	x := data[0]
	return func(z *graph.Node) *graph.Node {
		r := graph.Sub(x, graph.MatMul(z, l.w.NodeValue(z.Graph())))
		D := float64(x.Shape().Dimensions[1])
		return graph.AddScalar(graph.MulScalar(graph.ReduceSum(graph.Square(r), -1), -1/(2*l.sigma*l.sigma)),
			-D/2*math.Log(2*math.Pi*l.sigma*l.sigma))
	}
}

const lgD, lgX = 2, 3 // latent and data dimensions

var lgW = []float32{0.8, -0.3, 0.5, 0.2, 0.6, -0.7} // [d, D]

type lgModel struct {
	store *model.Store
	prior *prior.Prior
	gen   linearGaussian
	it    *Iteration
}

// newLG builds the family with prior kind, K0/K1 chain lengths and learning rates; mods change the
// iteration's parts.
func newLG(t *testing.T, kind string, k0, k1 int, lrGen, lrPrior float64, start string, mods ...func(*Parts)) *lgModel {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	scope := store.RootScope()
	p, err := prior.New(scope, kind, lgD, 16, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	gen := linearGaussian{w: scope.At("generator").VariableWithValue("w", tensors.FromFlatDataAndDimensions(append([]float32(nil), lgW...), lgD, lgX)), sigma: 1}
	genOpt, err := optim.NewAdam(store, "generator", []*model.Variable{gen.w}, lrGen, 0.5, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	priorOpt, err := optim.NewAdam(store, "prior", p.Variables(), lrPrior, 0.5, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	parts := Parts{Prior: p, PriorOpt: priorOpt, Gen: gen, GenOpt: genOpt, ZDim: lgD, K0: k0, K1: k1, PosteriorStart: start}
	for _, mod := range mods {
		mod(&parts)
	}
	it, err := NewIteration(backend, store, parts, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &lgModel{store: store, prior: p, gen: gen, it: it}
}

func rngState(seed uint64) *tensors.Tensor { return sampler.NewRNG(rand.New(rand.NewPCG(seed, 9))) }

// inputs: n copies of x, constant step sizes s.
func lgInputs(x []float32, n, k0, k1 int, s0, s1 float64, priorSeed, postSeed uint64) Inputs {
	rows := make([]float32, 0, n*len(x))
	for i := 0; i < n; i++ {
		rows = append(rows, x...)
	}
	return Inputs{Data: []any{tensors.FromFlatDataAndDimensions(rows, n, len(x))},
		PriorStepSizes: sampler.Steps(sampler.Constant(s0), k0, max(k0, 1)), PosteriorStepSizes: sampler.Steps(sampler.Constant(s1), k1, max(k1, 1)),
		PosteriorK: k1, Lambda: 1, PriorRNG: rngState(priorSeed), PosteriorRNG: rngState(postSeed), Iteration: 1}
}

// lgPosterior is the gaussian-prior family's posterior for x in closed form: precision A = I + W W^T (W is
// [d, D] here), covariance A^{-1}, mean A^{-1} W x.
func lgPosterior(x []float32) (A, Ainv [lgD][lgD]float64, mu [lgD]float64) {
	var b [lgD]float64
	for i := 0; i < lgD; i++ {
		A[i][i] = 1
		for j := 0; j < lgD; j++ {
			for k := 0; k < lgX; k++ {
				A[i][j] += float64(lgW[i*lgX+k]) * float64(lgW[j*lgX+k])
			}
		}
		for k := 0; k < lgX; k++ {
			b[i] += float64(lgW[i*lgX+k]) * float64(x[k])
		}
	}
	Ainv = inv2(A)
	mu = [lgD]float64{Ainv[0][0]*b[0] + Ainv[0][1]*b[1], Ainv[1][0]*b[0] + Ainv[1][1]*b[1]}
	return A, Ainv, mu
}

// inv2 inverts a 2x2 matrix.
func inv2(M [lgD][lgD]float64) [lgD][lgD]float64 {
	det := M[0][0]*M[1][1] - M[0][1]*M[1][0]
	return [lgD][lgD]float64{{M[1][1] / det, -M[0][1] / det}, {-M[1][0] / det, M[0][0] / det}}
}

// TestPosteriorChainMatchesClosedForm: with the gaussian prior, the posterior chain's end points (a long
// chain of step s) have the mean of the closed-form posterior, mu = A^{-1} W^T x / sigma^2, and the
// covariance of the discretised chain's stationary law, (A (I - h A / 2))^{-1} with h = s^2 / 2 (the
// exact posterior covariance A^{-1} as s -> 0): both checked against their standard errors over N chains.
func TestPosteriorChainMatchesClosedForm(t *testing.T) {
	const N, K, s = 4000, 300, 0.6
	m := newLG(t, prior.Gaussian, 0, K, 0, 0, StartNoise)
	x := []float32{1.2, -0.4, 0.9}
	out, err := m.it.Run(lgInputs(x, N, 0, K, 0, s, 1, 2))
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	A, Ainv, mu := lgPosterior(x)
	h := s * s / 2
	var M [lgD][lgD]float64 // A (I - h A / 2) = A - h A^2 / 2
	for i := 0; i < lgD; i++ {
		for j := 0; j < lgD; j++ {
			M[i][j] = A[i][j]
			for k := 0; k < lgD; k++ {
				M[i][j] -= h / 2 * A[i][k] * A[k][j]
			}
		}
	}
	C := inv2(M)
	var mean [lgD]float64
	var cov [lgD][lgD]float64
	for r := 0; r < N; r++ {
		for i := 0; i < lgD; i++ {
			mean[i] += float64(out.ZPost[r*lgD+i]) / N
		}
	}
	for r := 0; r < N; r++ {
		for i := 0; i < lgD; i++ {
			for j := 0; j < lgD; j++ {
				cov[i][j] += (float64(out.ZPost[r*lgD+i]) - mean[i]) * (float64(out.ZPost[r*lgD+j]) - mean[j]) / (N - 1)
			}
		}
	}
	for i := 0; i < lgD; i++ {
		if se := math.Sqrt(C[i][i] / N); math.Abs(mean[i]-mu[i]) > 4*se {
			t.Errorf("posterior mean[%d] %.4f, closed form %.4f ± %.4f", i, mean[i], mu[i], 4*se)
		}
		for j := 0; j < lgD; j++ {
			// Var of a sample covariance of Gaussians: (C_ij^2 + C_ii C_jj) / N.
			se := math.Sqrt((C[i][j]*C[i][j] + C[i][i]*C[j][j]) / N)
			if math.Abs(cov[i][j]-C[i][j]) > 4*se {
				t.Errorf("posterior cov[%d][%d] %.4f, closed form %.4f ± %.4f (exact posterior %.4f)", i, j, cov[i][j], C[i][j], 4*se, Ainv[i][j])
			}
		}
	}
	// The step is large enough that the discretised chain's covariance differs from the exact posterior's
	// by more than the tolerance: the test can tell the two apart.
	if math.Abs(C[0][0]-Ainv[0][0]) < 4*math.Sqrt(2*C[0][0]*C[0][0]/N) {
		t.Fatalf("test design: step-size bias %.4f is within the tolerance", C[0][0]-Ainv[0][0])
	}
}

// values reads every variable of the store.
func values(t *testing.T, store *model.Store) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if val.DType().IsFloat() {
			out[v.Path()] = tensors.MustCopyFlatData[float32](val)
		}
	}
	return out
}

func changed(before, after map[string][]float32) map[string]bool {
	out := map[string]bool{}
	for k, a := range after {
		b := before[k]
		for i := range a {
			if a[i] != b[i] {
				out[k] = true
				break
			}
		}
	}
	return out
}

// TestLearningRuleWiring: with z_post = z_prior (no chain steps, both starts drawn from the same
// generator state) the prior loss and its gradient are 0 and the prior's variables do not move; each
// update touches only its own variables; and one step lowers the generator's loss and raises
// f(z_post) - f(z_prior) at the same z (the learning rule's signs).
func TestLearningRuleWiring(t *testing.T) {
	x := []float32{1.2, -0.4, 0.9}
	m := newLG(t, prior.EBM, 0, 0, 1e-2, 1e-2, StartNoise)
	priorVars := map[string]bool{}
	for _, v := range m.prior.Variables() {
		priorVars[v.Path()] = true
	}
	isPrior := func(p string) bool { return priorVars[p] }
	isGen := func(p string) bool { return p == m.gen.w.Path() }

	before := values(t, m.store)
	out, err := m.it.Run(lgInputs(x, 64, 0, 0, 0, 0, 5, 5)) // same state: z_post = z_prior
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	if out.Stats.PriorLoss != 0 || out.Stats.PriorNorm != 0 {
		t.Fatalf("z_post = z_prior: prior loss %g, gradient norm %g, want 0", out.Stats.PriorLoss, out.Stats.PriorNorm)
	}
	for k := range changed(before, values(t, m.store)) {
		if isPrior(k) {
			t.Errorf("z_post = z_prior moved the prior's variable %s", k)
		}
	}

	for _, c := range []struct {
		name           string
		lrGen, lrPrior float64
		moves, stays   func(string) bool
	}{
		{"generator only", 1e-2, 0, isGen, isPrior},
		{"prior only", 0, 1e-2, isPrior, isGen},
	} {
		m := newLG(t, prior.EBM, 0, 0, c.lrGen, c.lrPrior, StartNoise)
		before := values(t, m.store)
		in := lgInputs(x, 64, 0, 0, 0, 0, 5, 6)
		first, err := m.it.Run(in)
		if err != nil || first.Err != nil {
			t.Fatal(err, first.Err)
		}
		ch := changed(before, values(t, m.store))
		moved := false
		for k := range ch {
			if c.stays(k) {
				t.Errorf("%s: %s moved", c.name, k)
			}
			moved = moved || c.moves(k)
		}
		if !moved {
			t.Errorf("%s: no variable of the updated part moved (%v)", c.name, ch)
		}
		// The same z again (no chain steps, the same generator states): the losses at the new parameters.
		second, err := m.it.Run(in)
		if err != nil || second.Err != nil {
			t.Fatal(err, second.Err)
		}
		if c.lrGen > 0 && !(second.Stats.SumLogP > first.Stats.SumLogP) {
			t.Errorf("generator step did not raise sum log p(x|z_post): %g -> %g", first.Stats.SumLogP, second.Stats.SumLogP)
		}
		gap := func(s Stats) float64 { return s.FPost - s.FPrior }
		if c.lrPrior > 0 && !(gap(second.Stats) > gap(first.Stats)) {
			t.Errorf("prior step did not raise f(z_post) - f(z_prior): %g -> %g", gap(first.Stats), gap(second.Stats))
		}
	}
}

// TestUnsoundIterationMovesNothing: an exploding posterior chain is reported with its step and step size,
// and no variable (nor any optimizer state) changes.
func TestUnsoundIterationMovesNothing(t *testing.T) {
	m := newLG(t, prior.EBM, 3, 5, 1e-2, 1e-2, StartNoise)
	before := values(t, m.store)
	in := lgInputs([]float32{1, 2, 3}, 8, 3, 5, 0.1, 1e4, 1, 2)
	out, err := m.it.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	var ce *sampler.ChainError
	if !errors.As(out.Err, &ce) || ce.Chain != "posterior" || ce.StepSize != 1e4 || ce.Iteration != 1 {
		t.Fatalf("want a posterior ChainError at step size 1e4, got %v", out.Err)
	}
	if ch := changed(before, values(t, m.store)); len(ch) > 0 {
		t.Fatalf("an unsound iteration changed %v", ch)
	}
	// Finite losses and gradients, but a learning rate that blows the parameters up (Adam's first step
	// moves each by about the rate): unsound, nothing moves, and the error says why.
	m = newLG(t, prior.EBM, 3, 5, 1e35, 1e-2, StartNoise)
	before = values(t, m.store)
	if out, err = m.it.Run(lgInputs([]float32{1, 2, 3}, 8, 3, 5, 0.1, 0.1, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if out.Err == nil || !strings.Contains(out.Err.Error(), "max |variable| after the update") || out.Stats.MaxParam < 1e30 {
		t.Fatalf("blown-up parameters: %v (max |parameter| %g)", out.Err, out.Stats.MaxParam)
	}
	if ch := changed(before, values(t, m.store)); len(ch) > 0 {
		t.Fatalf("an iteration with blown-up parameters changed %v", ch)
	}
	// The same with a sane rate is sound: the check does not refuse ordinary updates.
	m = newLG(t, prior.EBM, 3, 5, 1e-2, 1e-2, StartNoise)
	if out, err = m.it.Run(lgInputs([]float32{1, 2, 3}, 8, 3, 5, 0.1, 0.1, 1, 2)); err != nil || out.Err != nil || out.Stats.MaxParam <= 0 || out.Stats.MaxParam > 100 {
		t.Fatalf("a sane iteration: %v %v (max |parameter| %g)", err, out.Err, out.Stats.MaxParam)
	}
}

// TestGivenStartAndSwitchedOffSteps: with StartGiven the chain starts at Z0; steps past PosteriorK have
// size 0 and leave z unchanged, so a 4-step graph with 0 steps on returns Z0 exactly.
func TestGivenStartAndSwitchedOffSteps(t *testing.T) {
	m := newLG(t, prior.Gaussian, 0, 4, 0, 0, StartGiven)
	in := lgInputs([]float32{1, 2, 3}, 3, 0, 4, 0, 0.2, 1, 2)
	in.PosteriorK = 0
	in.PosteriorStepSizes = sampler.Steps(sampler.Constant(0.2), 0, 4)
	in.Z0 = []float32{1, 2, 3, 4, 5, 6}
	out, err := m.it.Run(in)
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	for i, v := range in.Z0 {
		if out.ZPost[i] != v {
			t.Fatalf("z_post %v, want the given start %v", out.ZPost, in.Z0)
		}
	}
	if out.Stats.Displacement != 0 {
		t.Fatalf("displacement %g, want 0", out.Stats.Displacement)
	}
}

// TestAuxiliaryLossInTheGeneratorUpdate: a family's auxiliary loss a ||z W||^2 (it depends on the
// generator's W) is reported as AuxLoss = mean_i a ||z_i W||^2 at z_post and enters the generator's
// gradient: with the chain's start given and no step (z_post = Z0), the gradient norm before clipping is
// that of mean_i [z_i^T (z_i W - x) / sigma^2 + 2 a z_i^T (z_i W)] computed on the host (W [d, D], z_i a
// row), and differs from the norm without the loss.
func TestAuxiliaryLossInTheGeneratorUpdate(t *testing.T) {
	const a = 0.7
	x := []float32{1.2, -0.4, 0.9}
	z0 := []float32{0.3, -1.1, 1.4, 0.2, -0.5, 0.8}
	run := func(withAux bool) *Outputs {
		m := newLG(t, prior.Gaussian, 0, 0, 1e-2, 0, StartGiven, func(p *Parts) {
			if withAux {
				w := p.Gen.(linearGaussian).w
				p.Aux = func(data []*graph.Node) func(z *graph.Node) *graph.Node {
					return func(z *graph.Node) *graph.Node {
						zw := graph.MatMul(z, w.NodeValue(z.Graph()))
						return graph.MulScalar(graph.ReduceSum(graph.Square(zw), -1), a)
					}
				}
			}
		})
		in := lgInputs(x, 3, 0, 0, 0, 0, 1, 2)
		in.Z0 = z0
		out, err := m.it.Run(in)
		if err != nil || out.Err != nil {
			t.Fatal(err, out.Err)
		}
		return out
	}
	var wantAux float64
	var grad, gradLike [lgD * lgX]float64
	for i := 0; i < 3; i++ {
		z := z0[i*lgD : (i+1)*lgD]
		var zw [lgX]float64
		for k := 0; k < lgX; k++ {
			for j := 0; j < lgD; j++ {
				zw[k] += float64(z[j]) * float64(lgW[j*lgX+k])
			}
			wantAux += a * zw[k] * zw[k] / 3
		}
		for j := 0; j < lgD; j++ {
			for k := 0; k < lgX; k++ {
				like := float64(z[j]) * (zw[k] - float64(x[k])) / 3
				gradLike[j*lgX+k] += like
				grad[j*lgX+k] += like + 2*a*float64(z[j])*zw[k]/3
			}
		}
	}
	norm := func(g [lgD * lgX]float64) float64 {
		s := 0.0
		for _, v := range g {
			s += v * v
		}
		return math.Sqrt(s)
	}
	with, without := run(true), run(false)
	if math.Abs(with.Stats.AuxLoss-wantAux) > 1e-4*wantAux {
		t.Errorf("AuxLoss %.6f, want %.6f", with.Stats.AuxLoss, wantAux)
	}
	if without.Stats.AuxLoss != 0 {
		t.Errorf("AuxLoss %g without an auxiliary loss, want 0", without.Stats.AuxLoss)
	}
	if g := norm(grad); math.Abs(with.Stats.GenNorm-g) > 1e-4*g {
		t.Errorf("generator gradient norm with the auxiliary loss %.6f, want %.6f", with.Stats.GenNorm, g)
	}
	if g := norm(gradLike); math.Abs(without.Stats.GenNorm-g) > 1e-4*g {
		t.Errorf("generator gradient norm without it %.6f, want %.6f", without.Stats.GenNorm, g)
	}
}

// TestThirdFamilyOnTheCore: the linear-Gaussian family runs on the whole core as text and image do: NewCore
// builds its prior, optimizers and compiled iteration (noise from the host on the Go backend; the other
// tests of this file run the iteration with noise drawn in the graph), Core.InferPosterior runs its
// evaluation chains, and the generic Trainer trains it (persistent chains and a K1 warm-up included) and
// resumes it exactly.
func TestThirdFamilyOnTheCore(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{ZDim: lgD, Prior: prior.EBM, EBMWidth: 8, K0: 5, S0: 0.4, K1: 6, S1: 0.3, K1Warmup: 2, K1WarmupIters: 3,
		PosteriorInit: InitPersistent, LRGen: 1e-2, LRPrior: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4, Iterations: 10,
		Seed: 3, SaveEvery: 5, LogEvery: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	newCore := func() *Core {
		scope := model.NewStore().RootScope()
		gen := linearGaussian{w: scope.At("generator").VariableWithValue("w", tensors.FromFlatDataAndDimensions(append([]float32(nil), lgW...), lgD, lgX)), sigma: 1}
		c, err := NewCore(backend, scope, cfg, gen, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	xs := []float32{1, 0, -1, 0.5, 0.5, 0.5, -1, 2, 0, 0, 0, 1, 2, 2, -2, 0.3, -0.3, 0.1, 1, 1, 1, -1, -1, -1}
	batch := func(i int) Batch {
		rows := []int{(2 * i) % 8, (2*i + 1) % 8, (2*i + 2) % 8, (2*i + 3) % 8}
		x := make([]float32, 0, 4*lgX)
		for _, r := range rows {
			x = append(x, xs[(r%8)*lgX:(r%8)*lgX+lgX]...)
		}
		return Batch{Data: []any{tensors.FromFlatDataAndDimensions(x, 4, lgX)}, Rows: rows, Size: 4}
	}
	run := func(tr *Trainer, from, to int) []float64 {
		var losses []float64
		for i := from; i < to; i++ {
			s, err := tr.Step(batch(i), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if want := cfg.PosteriorSteps(i + 1); s.PosteriorSteps != want {
				t.Fatalf("iteration %d ran %d posterior steps, want %d", i+1, s.PosteriorSteps, want)
			}
			losses = append(losses, s.Stats.SumLogP, s.Stats.PriorLoss)
		}
		return losses
	}
	core := newCore()
	if !core.HostNoise {
		t.Fatal("on the Go backend the core draws the chains' noise on the host")
	}
	tr, err := NewTrainer(core, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole := run(tr, 0, 6)

	// The same run interrupted at 3 and resumed from its snapshot (state, persistent chains, variables).
	core2 := newCore()
	tr2, _ := NewTrainer(core2, 8, nil)
	first := run(tr2, 0, 3)
	state, err := tr2.Snapshot(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := tr2.Files()
	core3 := newCore()
	for v := range core2.Ctx.Store().IterVariables() {
		val, _ := v.Value()
		clone, err := val.LocalClone()
		if err != nil {
			t.Fatal(err)
		}
		if err := core3.Ctx.Store().GetVariable(v.Path()).SetValue(clone); err != nil {
			t.Fatal(err)
		}
	}
	tr3, err := NewTrainer(core3, 8, &state)
	if err != nil {
		t.Fatal(err)
	}
	p, err := UnmarshalPersistent(files[PersistentFile], 8, lgD, "test")
	if err != nil {
		t.Fatal(err)
	}
	tr3.Persist = p
	resumed := append(first, run(tr3, 3, 6)...)
	for i := range whole {
		if whole[i] != resumed[i] {
			t.Fatalf("resumed run differs at %d: %v vs %v", i, whole, resumed)
		}
	}

	// Evaluation chains through the core: finite and reproducible from the host seed.
	z1, err := core.InferPosterior(batch(0).Data, 4, nil, 7, 0.3, 1, rand.New(rand.NewPCG(1, 1)), -1)
	if err != nil {
		t.Fatal(err)
	}
	z2, _ := core.InferPosterior(batch(0).Data, 4, nil, 7, 0.3, 1, rand.New(rand.NewPCG(1, 1)), -1)
	for i := range z1 {
		if z1[i] != z2[i] || math.IsNaN(float64(z1[i])) {
			t.Fatalf("evaluation chains not reproducible: %v vs %v", z1, z2)
		}
	}
}

// lgCore is the linear-Gaussian family on a core of configuration cfg (W = lgW, sigma = 1).
func lgCore(t *testing.T, cfg *Config) *Core {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	scope := model.NewStore().RootScope()
	gen := linearGaussian{w: scope.At("generator").VariableWithValue("w", tensors.FromFlatDataAndDimensions(append([]float32(nil), lgW...), lgD, lgX)), sigma: 1}
	core, err := NewCore(backend, scope, cfg, gen, nil)
	if err != nil {
		t.Fatal(err)
	}
	return core
}

// lgSet is a set of data points for the estimator (one graph shape).
type lgSet struct{ x [][]float32 }

func (s lgSet) Groups(idx []int) [][]int {
	pos := make([]int, len(idx))
	for i := range pos {
		pos[i] = i
	}
	return [][]int{pos}
}

func (s lgSet) Rows(examples []int, P, size int) []any {
	flat := make([]float32, 0, size*lgX)
	for r := 0; r < size; r++ {
		e := examples[0]
		if g := r / P; g < len(examples) {
			e = examples[g]
		}
		flat = append(flat, s.x[e]...)
	}
	return []any{tensors.FromFlatDataAndDimensions(flat, size, lgX)}
}

// TestLogLikelihoodMatchesClosedForm: with the gaussian prior, x = W z + noise has marginal
// N(0, W^T W + sigma^2 I); the importance-sampled log p(x) of FitAndScore matches it per point within 4
// of its own standard errors (from the weights' spread; q is fitted to chains, not exact, so the estimate
// is noisy but consistent), plus 0.005 nats for the log's downward bias var(w)/(2 S mean(w)^2).
func TestLogLikelihoodMatchesClosedForm(t *testing.T) {
	core := lgCore(t, &Config{ZDim: lgD, Prior: prior.Gaussian, K0: 1, S0: 0.1, K1: 200, S1: 0.2, LRGen: 1e-3, Beta1: 0.5, Beta2: 0.999,
		Batch: 4, Seed: 1, SaveEvery: 1, LogEvery: 1})
	xs := [][]float32{{1.2, -0.4, 0.9}, {0, 0, 0}, {-2, 1, 0.5}, {3, -1, -2}}
	est := Estimator{Chains: 16, K1: 200, S1: 0.2, ImportanceSamples: 4096, SigmaFloor: 0.05, RowsPerCall: 64}
	fit, err := core.FitAndScore(lgSet{xs}, []int{0, 1, 2, 3}, est, 0, rand.New(rand.NewPCG(4, 5)), true, nil, func(int) {})
	if err != nil {
		t.Fatal(err)
	}
	// Marginal covariance M = W^T W + I (W is [d, D]: M_kl = sum_i W_ik W_il + delta_kl).
	var M [lgX][lgX]float64
	for k := 0; k < lgX; k++ {
		for l := 0; l < lgX; l++ {
			for i := 0; i < lgD; i++ {
				M[k][l] += float64(lgW[i*lgX+k]) * float64(lgW[i*lgX+l])
			}
		}
		M[k][k]++
	}
	det := M[0][0]*(M[1][1]*M[2][2]-M[1][2]*M[2][1]) - M[0][1]*(M[1][0]*M[2][2]-M[1][2]*M[2][0]) + M[0][2]*(M[1][0]*M[2][1]-M[1][1]*M[2][0])
	inv := [lgX][lgX]float64{
		{M[1][1]*M[2][2] - M[1][2]*M[2][1], M[0][2]*M[2][1] - M[0][1]*M[2][2], M[0][1]*M[1][2] - M[0][2]*M[1][1]},
		{M[1][2]*M[2][0] - M[1][0]*M[2][2], M[0][0]*M[2][2] - M[0][2]*M[2][0], M[0][2]*M[1][0] - M[0][0]*M[1][2]},
		{M[1][0]*M[2][1] - M[1][1]*M[2][0], M[0][1]*M[2][0] - M[0][0]*M[2][1], M[0][0]*M[1][1] - M[0][1]*M[1][0]},
	}
	for i, x := range xs {
		var quad float64
		for k := 0; k < lgX; k++ {
			for l := 0; l < lgX; l++ {
				quad += float64(x[k]) * inv[k][l] / det * float64(x[l])
			}
		}
		want := -0.5*quad - 0.5*math.Log(det) - 1.5*math.Log(2*math.Pi)
		if got, se := fit.LogPX[i], fit.LogPXSE[i]; math.Abs(got-want) > 4*se+0.005 || se > 0.05 {
			t.Errorf("x %v: log p(x) %.4f (s.e. %.4f), closed form %.4f", x, got, se, want)
		} else {
			t.Logf("x %v: log p(x) %.4f (s.e. %.4f), closed form %.4f", x, got, se, want)
		}
	}
}

// TestPosteriorMeansMatchClosedForm: the core's posterior means (P chains per example, laid out in calls
// of RowsPerCall rows with padding, examples repeated) match the closed-form posterior mean of each
// example within 4 standard errors sqrt(A^{-1}_ii / P) (the chains are long enough that their start is
// forgotten: (1 - s^2 lambda_min / 2)^K < 1e-3).
func TestPosteriorMeansMatchClosedForm(t *testing.T) {
	core := lgCore(t, &Config{ZDim: lgD, Prior: prior.Gaussian, K0: 1, S0: 0.1, K1: 200, S1: 0.3, LRGen: 1e-3, Beta1: 0.5, Beta2: 0.999,
		Batch: 4, Seed: 1, SaveEvery: 1, LogEvery: 1})
	xs := [][]float32{{1.2, -0.4, 0.9}, {3, -1, -2}, {-2, 1, 0.5}}
	idx := []int{2, 0, 2, 1} // a repeat; 3 examples in calls of 2, then 4 in calls of 3: the last call padded
	const P = 300
	for _, rows := range []int{2 * P, 3 * P} {
		est := Estimator{Chains: P, K1: 200, S1: 0.3, RowsPerCall: rows}
		mean, err := core.PosteriorMeans(lgSet{xs}, idx[:rows/P+1], est, rand.New(rand.NewPCG(6, 7)), nil)
		if err != nil {
			t.Fatal(err)
		}
		for pos, e := range idx[:rows/P+1] {
			_, Ainv, mu := lgPosterior(xs[e])
			for i := 0; i < lgD; i++ {
				if got, se := float64(mean[pos*lgD+i]), math.Sqrt(Ainv[i][i]/P); math.Abs(got-mu[i]) > 4*se {
					t.Errorf("rows %d, example %d: posterior mean[%d] %.4f, closed form %.4f ± %.4f", rows, e, i, got, mu[i], 4*se)
				}
			}
		}
	}
}

// TestChainDataSeparate: with Parts.ChainData the posterior chain infers z from the chain's copy of the
// batch (its end points have the closed-form posterior mean of x1) while the losses score the other
// copy (the reported sum of log p(x|z_post) is that of x2 at the chain's end points).
func TestChainDataSeparate(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	scope := store.RootScope()
	p, err := prior.New(scope, prior.Gaussian, lgD, 16, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	gen := linearGaussian{w: scope.At("generator").VariableWithValue("w", tensors.FromFlatDataAndDimensions(append([]float32(nil), lgW...), lgD, lgX)), sigma: 1}
	genOpt, err := optim.NewAdam(store, "generator", []*model.Variable{gen.w}, 0, 0.5, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	priorOpt, err := optim.NewAdam(store, "prior", p.Variables(), 0, 0.5, 0.999, 0)
	if err != nil {
		t.Fatal(err)
	}
	const N, K, s = 2000, 200, 0.5
	it, err := NewIteration(backend, store, Parts{Prior: p, PriorOpt: priorOpt, Gen: gen, GenOpt: genOpt, ZDim: lgD,
		K0: 0, K1: K, PosteriorStart: StartNoise, ChainData: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x1, x2 := []float32{3, -1, -2}, []float32{-2, 1, 0.5}
	in := lgInputs(x2, N, 0, K, 0, s, 1, 2)
	in.ChainData = lgInputs(x1, N, 0, K, 0, s, 1, 2).Data
	out, err := it.Run(in)
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	_, Ainv, mu := lgPosterior(x1)
	var sumLogP float64
	for i := 0; i < lgD; i++ {
		var mean float64
		for r := 0; r < N; r++ {
			mean += float64(out.ZPost[r*lgD+i]) / N
		}
		if se := math.Sqrt(Ainv[i][i] / N); math.Abs(mean-mu[i]) > 6*se {
			t.Errorf("chain end points' mean[%d] %.4f, closed form for the chain's data %.4f ± %.4f", i, mean, mu[i], 6*se)
		}
	}
	for r := 0; r < N; r++ {
		var sq float64
		for k := 0; k < lgX; k++ {
			xh := 0.0
			for i := 0; i < lgD; i++ {
				xh += float64(out.ZPost[r*lgD+i]) * float64(lgW[i*lgX+k])
			}
			sq += (float64(x2[k]) - xh) * (float64(x2[k]) - xh)
		}
		sumLogP += -sq/2 - lgX/2.0*math.Log(2*math.Pi)
	}
	if math.Abs(out.Stats.SumLogP-sumLogP) > 1e-4*math.Abs(sumLogP) {
		t.Errorf("sum log p(x|z_post) %.3f, want that of the update's data %.3f", out.Stats.SumLogP, sumLogP)
	}
	in.ChainData = nil
	if _, err := it.Run(in); err == nil {
		t.Error("an iteration with chain data compiled in ran without it")
	}
}
