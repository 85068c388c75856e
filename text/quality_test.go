package text

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
)

// TestLearnsEmbeddedCorpus trains a small model on the embedded corpus with the EBM prior and with the
// gaussian prior at the same budget (same seed, iterations, chains) and evaluates both on the test split.
//
// Both runs use the same seed, hence the same decoder initialisation, batch order and posterior-chain
// noise (common random numbers), so that their difference is due to the prior.
//
// It checks that (1) each model is much better than a unigram model of the training data (NLL below 80%
// of the unigram NLL, 26.86 nats/sentence), and (2) the EBM prior is no worse than the gaussian prior, up
// to 5% of the gaussian prior's NLL.
//
// Measured (400 iterations, seed 1, 400 test sentences, NLL s.e. about 0.18): EBM 11.89 vs gaussian
// 11.83 nats/sentence (paired difference 0.05, s.e. 0.04); the latent is collapsed in both (MI at or
// below its floor). On an earlier version of the corpus (with 12-word templates) the EBM prior trailed by
// -0.05 to +0.29 nats with common random numbers and by up to 0.6 without, over seeds 1-3. The 5% margin
// (about 0.6 nats) covers that measured run-to-run spread; the check fails if the EBM prior's training
// degrades the decoder beyond it (an unstable f_alpha dragging the posterior chains, for instance).
func TestLearnsEmbeddedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models (about 2 minutes on 2 cores)")
	}
	results := map[string]*EvalResult{}
	tv, coherent := map[string]float64{}, map[string]float64{}
	var unigram Unigram
	for _, kind := range []string{prior.EBM, prior.Gaussian} {
		cfg := smallConfig()
		cfg.Prior = kind
		cfg.K0, cfg.K1 = 20, 10
		cfg.Batch = 32
		cfg.LRGen = 3e-3 // a higher generator learning rate than the default, so that the budget is short
		const iterations = 400
		tr, c := newTrainer(t, cfg)
		for i := 0; i < iterations; i++ {
			if _, err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
		test, err := Encode(c, tr.Model.Vocab, cfg.MaxLen, "test")
		if err != nil {
			t.Fatal(err)
		}
		ec := DefaultEvalConfig(cfg)
		ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.FloorSentences = 8, 32, 20000, 16
		res, err := tr.Model.Evaluate(test, "test", ec, nil)
		if err != nil {
			t.Fatal(err)
		}
		results[kind] = res
		tv[kind], coherent[kind] = topicFit(t, tr.Model)
		unigram = UnigramBaseline(tr.Data, test, tr.Model.Vocab.Size())
		t.Logf("%s prior after %d iterations: NLL %.3f (s.e. %.3f) PPL %.3f MI %.3f (floor %.3f) AU %d/%d corrected (floor %d); unigram NLL %.3f PPL %.3f",
			kind, iterations, res.NLL, res.NLLSE, res.PPL, res.MI, res.MIFloor, res.AUCorrected, cfg.ZDim, res.AUCorrectedFlr, unigram.NLL, unigram.PPL)
	}
	ebm, gauss := results[prior.EBM], results[prior.Gaussian]
	if ebm.NLL > 0.8*unigram.NLL {
		t.Errorf("EBM-prior model NLL %.3f is not well below the unigram NLL %.3f", ebm.NLL, unigram.NLL)
	}
	if gauss.NLL > 0.8*unigram.NLL {
		t.Errorf("gaussian-prior model NLL %.3f is not well below the unigram NLL %.3f", gauss.NLL, unigram.NLL)
	}
	// Topics of samples: total variation distance to the corpus's topic weights, and the share of samples
	// whose content words all come from one topic. Measured at this budget (seed 1): TV 0.20 for both
	// priors, single-topic samples 0.23 (EBM) and 0.20 (gaussian), against 1.0 in the data; the embedded
	// preset after 500 iterations gives the same (TV 0.20, 25% single-topic). Samples over-produce the most
	// frequent topic because most mix topics: the latent is collapsed (MI at its floor), so nothing keeps a
	// sentence on one topic. The bound 0.25 flags a regression (a model emitting one topic scores 0.6);
	// it does not certify that the topic structure is learned. The EBM prior must do as well as the
	// gaussian prior up to 0.05 (about twice the binomial noise of TV over 1000 samples).
	t.Logf("samples: topic TV distance EBM %.3f gaussian %.3f; single-topic samples EBM %.3f gaussian %.3f (training data: 1.0)",
		tv[prior.EBM], tv[prior.Gaussian], coherent[prior.EBM], coherent[prior.Gaussian])
	for kind, d := range tv {
		if d > 0.25 {
			t.Errorf("%s prior: topic proportions of samples are %.3f from the corpus's (TV distance)", kind, d)
		}
	}
	if tv[prior.EBM] > tv[prior.Gaussian]+0.05 {
		t.Errorf("EBM prior's samples reproduce the topic proportions worse than the gaussian's: TV %.3f vs %.3f", tv[prior.EBM], tv[prior.Gaussian])
	}
	var s1, s2 float64
	for i := range ebm.SentenceNLL {
		d := ebm.SentenceNLL[i] - gauss.SentenceNLL[i]
		s1 += d
		s2 += d * d
	}
	n := float64(len(ebm.SentenceNLL))
	t.Logf("paired difference EBM - gaussian: %.3f nats/sentence (s.e. %.3f)", s1/n, math.Sqrt(math.Max(s2/n-(s1/n)*(s1/n), 0)/n))
	tol := 0.05 * gauss.NLL
	if ebm.NLL > gauss.NLL+tol {
		t.Errorf("EBM prior worse than gaussian prior: NLL %.3f vs %.3f (tolerance %.3f)", ebm.NLL, gauss.NLL, tol)
	}
}

// topicFit samples 1000 sentences (prior chain, ancestral decoding at temperature 1) and returns the total
// variation distance between the topic proportions of the samples with a topic (corpora.TopicOf: the
// topic with most content words) and corpora.TopicWeights, and the share of samples whose content words
// all belong to a single topic.
func topicFit(t *testing.T, m *Model) (tv, coherent float64) {
	t.Helper()
	const n = 1000
	rng := rand.New(rand.NewPCG(11, 12))
	z, err := m.SamplePrior(n, m.Config.K0, m.Config.S0, rng, -1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := m.Decode(z, n, DecodeOptions{Method: Sample, Temperature: 1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, len(corpora.Topics))
	total := 0.0
	for _, s := range ids {
		words := m.Vocab.Decode(s)
		k := corpora.TopicOf(words)
		if k < 0 {
			continue
		}
		counts[k]++
		total++
		if corpora.SingleTopic(words) {
			coherent++
		}
	}
	for k, w := range corpora.TopicWeights {
		tv += 0.5 * math.Abs(counts[k]/total-w)
	}
	return tv, coherent / total
}
