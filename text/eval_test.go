package text

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
)

// scaleVariable multiplies a variable's value by k (to make a tiny random model less flat).
func scaleVariable(t *testing.T, v *model.Variable, k float32) {
	t.Helper()
	val := tensors.MustCopyFlatData[float32](v.MustValue())
	for i := range val {
		val[i] *= k
	}
	v.MustSetValue(tensors.FromFlatDataAndDimensions(val, v.Shape().Dimensions...))
}

// TestNLLMatchesQuadrature: with a 1-dimensional z the marginal likelihood
// log p(x) = log ∫ p_beta(x|z) exp(f(z)) N(z; 0, 1) dz - log ∫ exp(f(z)) N(z; 0, 1) dz
// can be computed by quadrature; the importance-sampling estimator (with its log Z estimate) must agree.
func TestNLLMatchesQuadrature(t *testing.T) {
	for _, kind := range []string{prior.EBM, prior.Gaussian} {
		t.Run(kind, func(t *testing.T) {
			m := tinyModel(t, []string{"a", "b", "c"}, kind)
			m.Config.ZDim = 1
			// Rebuild with z of dimension 1.
			cfg := m.Config
			m2, err := NewModel(m.Backend, cfg, m.Vocab)
			if err != nil {
				t.Fatal(err)
			}
			m = m2
			scaleVariable(t, m.Decoder.wz, 30)
			scaleVariable(t, m.Decoder.wh, 30)
			for _, v := range m.Prior.Variables() {
				scaleVariable(t, v, 1.5)
			}
			sents := [][]string{{"a"}, {"b", "c"}, {"c", "c", "a"}, {"a", "b"}}
			ds, err := corpora.NewDataset(sents, m.Vocab, 8)
			if err != nil {
				t.Fatal(err)
			}
			exactNLL, logZ := quadratureNLL(t, m, ds)

			ec := DefaultEvalConfig(m.Config)
			ec.Chains, ec.ImportanceSamples, ec.K1, ec.RowsPerCall = 32, 512, 50, 128
			res, err := m.Evaluate(ds, "test", ec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if kind == prior.EBM && math.Abs(res.LogZ.Value-logZ) > 4*res.LogZ.StdErr+1e-3 {
				t.Errorf("log Z %.4f (s.e. %.4f), quadrature %.4f", res.LogZ.Value, res.LogZ.StdErr, logZ)
			}
			if math.Abs(res.NLL-exactNLL) > 0.05 {
				t.Errorf("NLL %.4f, quadrature %.4f", res.NLL, exactNLL)
			}
			// PPL counts words + <eos> (not <bos>): 2 + 3 + 4 + 3 = 12 predicted tokens.
			if res.Tokens != 12 || math.Abs(res.PPL-math.Exp(res.NLL*4/12)) > 1e-9 {
				t.Errorf("tokens %d (want 12), PPL %.6f (want exp(sum NLL / 12) = %.6f)", res.Tokens, res.PPL, math.Exp(res.NLL*4/12))
			}
			t.Logf("%s: NLL %.4f quadrature %.4f, log Z %.4f quadrature %.4f", kind, res.NLL, exactNLL, res.LogZ.Value, logZ)
		})
	}
}

// quadratureNLL is the mean over ds's sentences of -log p(x) of a model with 1-dimensional z, by
// quadrature on [-10, 10]: log p(x) = log ∫ p_beta(x|z) exp(f(z)) N(z; 0, 1) dz - log Z; and log Z.
func quadratureNLL(t *testing.T, m *Model, ds *corpora.Dataset) (nll, logZ float64) {
	t.Helper()
	const G = 4001
	grid := make([]float32, G)
	h := 20.0 / (G - 1)
	for i := range grid {
		grid[i] = float32(-10 + float64(i)*h)
	}
	f, err := m.F(grid, G)
	if err != nil {
		t.Fatal(err)
	}
	logN := func(z float64) float64 { return -0.5*z*z - 0.5*prior.Log2Pi }
	var zTerms []float64
	for i := range grid {
		zTerms = append(zTerms, float64(f[i])+logN(float64(grid[i]))+math.Log(h))
	}
	logZ = learn.LogSumExp(zTerms)
	for i := range ds.Examples {
		rows := make([]int, G)
		for r := range rows {
			rows[r] = i
		}
		lp, err := m.LogPX(ds.MakeBatch(rows, ds.BucketOf(i)), grid)
		if err != nil {
			t.Fatal(err)
		}
		terms := make([]float64, G)
		for r := range terms {
			terms[r] = float64(lp[r]) + zTerms[r]
		}
		nll += -(learn.LogSumExp(terms) - logZ)
	}
	return nll / float64(len(ds.Examples)), logZ
}

// TestEvaluationScoresWholeSentences: sentences longer than the training MaxLen (16 here) are scored
// whole by default: every token counted, the NLL that of the whole sentence (quadrature); with a limit
// the longer sentences are left out, counted and said, and the others are scored whole.
func TestEvaluationScoresWholeSentences(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c"}, prior.Gaussian)
	cfg := m.Config
	cfg.ZDim = 1
	m, err := NewModel(m.Backend, cfg, m.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	scaleVariable(t, m.Decoder.wz, 30)
	long := strings.Fields(strings.Repeat("a b c ", 10)) // 30 words
	sents := [][]string{long, {"b", "c"}, long[:20], {"a"}}
	ec := DefaultEvalConfig(m.Config)
	ec.Chains, ec.ImportanceSamples, ec.K1, ec.RowsPerCall, ec.LogZSamples = 16, 256, 50, 64, 10
	for _, maxLen := range []int{corpora.Whole, m.Config.MaxLen} {
		ds, err := corpora.NewDataset(sents, m.Vocab, maxLen)
		if err != nil {
			t.Fatal(err)
		}
		ec.MaxLen = maxLen
		res, err := m.Evaluate(ds, "test", ec, nil)
		if err != nil {
			t.Fatal(err)
		}
		exact, _ := quadratureNLL(t, m, ds)
		wantTokens, wantLeftOut, wantMax, wantN := 31+3+21+2, 0, 32, 4
		if maxLen != corpora.Whole {
			wantTokens, wantLeftOut, wantMax, wantN = 3+2, 2, 4, 2
		}
		if res.Tokens != wantTokens || res.LeftOut != wantLeftOut || res.MaxLen != wantMax || res.Sentences != wantN {
			t.Errorf("max len %d: %d sentences, %d tokens, %d left out, longest %d; want %d, %d, %d, %d", maxLen, res.Sentences, res.Tokens,
				res.LeftOut, res.MaxLen, wantN, wantTokens, wantLeftOut, wantMax)
		}
		if math.Abs(res.NLL-exact) > 0.05 { // as TestNLLMatchesQuadrature: every scored sentence whole
			t.Errorf("max len %d: NLL %.4f (s.e. %.4f), quadrature %.4f", maxLen, res.NLL, res.NLLSE, exact)
		}
		if !strings.Contains(res.Format(), "left out") == (maxLen != corpora.Whole) {
			t.Errorf("max len %d: the report does not say what was left out:\n%s", maxLen, res.Format())
		}
		t.Logf("max len %d: NLL %.4f (s.e. %.4f), quadrature %.4f, %d tokens", maxLen, res.NLL, res.NLLSE, exact, res.Tokens)
	}
}

// TestMutualInformationKnown: posteriors with well-separated means carry log N nats; identical posteriors
// carry none.
func TestMutualInformationKnown(t *testing.T) {
	const n, d = 2000, 2
	rng := rand.New(rand.NewPCG(5, 5))
	mu := make([]float64, n*d)
	sigma := make([]float64, n*d)
	samples := make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mu[i*d+j] = float64(i * 10 * (j + 1))
			sigma[i*d+j] = 0.1
			samples[i*d+j] = mu[i*d+j] + sigma[i*d+j]*rng.NormFloat64()
		}
	}
	if mi, _ := MutualInformation(mu, sigma, samples, d); math.Abs(mi-math.Log(n)) > 1e-6 {
		t.Errorf("separated posteriors: MI %.4f, want log N = %.4f", mi, math.Log(n))
	}
	// Identical posteriors N(0, 1): I = 0 (the estimator is then exactly 0: every component is the same).
	for i := range mu {
		mu[i], sigma[i] = 0, 1
		samples[i] = rng.NormFloat64()
	}
	if mi, _ := MutualInformation(mu, sigma, samples, d); math.Abs(mi) > 1e-9 {
		t.Errorf("identical posteriors: MI %.4f, want ~0", mi)
	}
	// Two clusters: half the sentences at -20, half at +20 (per dimension 0): MI = log 2 (up to the
	// sampling noise of the few sentences whose draw is far in the tail: none at this separation).
	for i := 0; i < n; i++ {
		c := -20.0
		if i%2 == 1 {
			c = 20
		}
		mu[i*d], mu[i*d+1] = c, 0
		sigma[i*d], sigma[i*d+1] = 1, 1
		samples[i*d], samples[i*d+1] = c+rng.NormFloat64(), rng.NormFloat64()
	}
	if mi, _ := MutualInformation(mu, sigma, samples, d); math.Abs(mi-math.Log(2)) > 0.06 {
		t.Errorf("two clusters: MI %.4f, want log 2 = %.4f", mi, math.Log(2))
	}
}

// TestActiveUnits: a dimension whose means vary only by chain noise is inactive once corrected.
func TestActiveUnits(t *testing.T) {
	const n, d, P = 2000, 3, 4
	rng := rand.New(rand.NewPCG(9, 9))
	mu := make([]float64, n*d)
	sigma := make([]float64, n*d)
	for i := 0; i < n; i++ {
		// dim 0: real signal (variance 1); dim 1: chain noise only, sigma 1 -> Var(mu) = 1/P = 0.25;
		// dim 2: constant.
		mu[i*d] = rng.NormFloat64()
		mu[i*d+1] = rng.NormFloat64() / math.Sqrt(P)
		mu[i*d+2] = 0.3
		for j := 0; j < d; j++ {
			sigma[i*d+j] = 1
		}
		sigma[i*d] = 0.1
	}
	mv, nv := unitVariances(mu, sigma, d, P)
	au, corrected := activeUnits(mv, nv)
	if au != 2 || corrected != 1 {
		t.Fatalf("AU %d (want 2), corrected %d (want 1); Var(mu) %v, noise %v", au, corrected, mv, nv)
	}
}

// TestUnigramBaseline: a hand-computed case.
func TestUnigramBaseline(t *testing.T) {
	vocab := corpora.NewVocab([]string{corpora.PadToken, corpora.UnkToken, corpora.BosToken, corpora.EosToken, "a", "b"})
	train := corpora.NewDatasetFromIDs([][]int{{4, 4}, {5}}, 10) // counts: a 2, b 1, <eos> 2, total 5
	test := corpora.NewDatasetFromIDs([][]int{{4}}, 10)
	u := UnigramBaseline(train, test, vocab.Size(), 0)
	// support: <unk> a b <eos> = 4; p(a) = 3/9, p(<eos>) = 3/9.
	want := -2 * math.Log(3.0/9)
	if math.Abs(u.NLL-want) > 1e-9 || math.Abs(u.PPL-math.Exp(want/2)) > 1e-9 {
		t.Fatalf("unigram NLL %v PPL %v, want %v %v", u.NLL, u.PPL, want, math.Exp(want/2))
	}
	// On the first sentence of two only, as the model is when an evaluation takes its first N.
	two := corpora.NewDatasetFromIDs([][]int{{4}, {5, 5, 5}}, 10)
	if first := UnigramBaseline(train, two, vocab.Size(), 1); first != u {
		t.Fatalf("the first sentence of two: %+v, want %+v", first, u)
	}
}

// TestDivergedModelRefused: a model whose parameters blew up (finite, but its log-likelihoods are not) is
// refused by evaluation with an error, never a NaN result; decoding refuses NaN or +Inf log-probabilities.
func TestDivergedModelRefused(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c"}, prior.Gaussian)
	ds, err := corpora.NewDataset([][]string{{"a", "b"}, {"c"}, {"b", "a", "c"}}, m.Vocab, corpora.Whole)
	if err != nil {
		t.Fatal(err)
	}
	ec := DefaultEvalConfig(m.Config)
	ec.Chains, ec.ImportanceSamples, ec.K1, ec.RowsPerCall, ec.LogZSamples = 2, 4, 2, 16, 10
	if _, err := m.Evaluate(ds, "test", ec, nil); err != nil {
		t.Fatalf("the sane model: %v", err)
	}
	// Output weights of 3e38 and biases of ±3e38: for h of either sign half the logits overflow to ±Inf.
	for k, v := range []*model.Variable{m.Decoder.wo, m.Decoder.bo} {
		val := tensors.MustCopyFlatData[float32](v.MustValue())
		for i := range val {
			val[i] = 3e38
			if k == 1 && i%2 == 1 {
				val[i] = -3e38
			}
		}
		v.MustSetValue(tensors.FromFlatDataAndDimensions(val, v.Shape().Dimensions...))
	}
	res, err := m.Evaluate(ds, "test", ec, nil)
	if err == nil {
		t.Fatalf("a diverged model evaluated: NLL %v", res.NLL)
	}
	t.Logf("evaluation: %v", err)
	for _, lp := range [][]float32{{-1, float32(math.NaN())}, {float32(math.Inf(1)), -2}} {
		if err := finiteLogProbs(lp); err == nil || !strings.Contains(err.Error(), "diverged") {
			t.Errorf("decoding log-probabilities %v: %v", lp, err)
		}
	}
	if err := finiteLogProbs([]float32{-1, float32(math.Inf(-1))}); err != nil {
		t.Errorf("a word of probability 0: %v", err)
	}
}
