package text

import (
	"fmt"
	"math"
	"strings"

	"github.com/lebm/lebm/prior"

	"github.com/lebm/lebm/corpora"
)

// Format renders the evaluation for people: every number with how it was estimated.
func (r *EvalResult) Format() string {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "%s split of %s: %d sentences, %d predicted tokens (words + <eos>), %.1f%% of the words <unk> for the model's vocabulary, prior %s\n",
		r.Split, r.Corpus, r.Sentences, r.Tokens, 100*r.UnknownShare, r.Prior)
	if r.LeftOut > 0 {
		fmt.Fprintf(&b, "  %d sentences of the split longer than --max-len %d tokens left out; the others scored whole\n", r.LeftOut, s.MaxLen)
	} else {
		fmt.Fprintf(&b, "  whole sentences scored (the longest: %d tokens with <bos> and <eos>)\n", r.MaxLen)
	}
	fmt.Fprintf(&b, "  NLL   %8.3f nats/sentence (s.e. %.3f: %.3f over sentences, %.3f of log Z)  importance sampling, S=%d samples of q(z|x) per sentence\n",
		r.NLL, r.NLLSE, r.NLLSESentences, r.LogZ.StdErr, roundUp(s.ImportanceSamples, s.Chains))
	fmt.Fprintf(&b, "  PPL   %8.3f                 exp(sum of NLL / predicted tokens)\n", r.PPL)
	fmt.Fprintf(&b, "  recon %8.3f nats/sentence    E_p(z|x)[-log p(x|z)] (self-normalised IS), reconstruction term; gap NLL - recon = KL(p(z|x) || p(z)) %.3f (s.e. %.3f; "+
		"a model ignoring z: %.3f, the importance-sampling bias)\n", r.Recon, r.Gap, r.GapSE, r.GapNull)
	fmt.Fprintf(&b, "  MI    %8.3f nats (s.e. %.3f) mixture estimator over %d sentences (ceiling log N = %.3f), from P=%d chains per sentence (it grows with their noise: "+
		"read it against its floor); floor %.3f (s.e. %.3f): the same on these chains dealt to the sentences at random, which carry no information about x\n",
		r.MI, r.MISE, r.Sentences, r.MICeiling, r.MIChains, r.MIFloor, r.MIFloorSE)
	fmt.Fprintf(&b, "  MI_He %8.3f nats (s.e. %.3f) He et al. 2019's form (exact entropy, mixture within batches of at most %d sentences of one length: "+
		"these batches cap it near %.3f); floor %.3f (s.e. %.3f)\n", r.MIHe, r.MIHeSE, HeBatch, r.MIHeCeiling, r.MIHeFloor, r.MIHeFloorSE)
	if r.MIHe < 0 {
		b.WriteString("  note: MI_He is negative: its exact entropy and its within-batch mixture are estimated apart, so a small MI can come out below 0; read it against its floor\n")
	}
	fmt.Fprintf(&b, "  AU    %4d of %d (noise-corrected %d)  Var_x(mu_x) > %.2g; corrected subtracts mean sigma^2/P; floor %d (corrected %d), the most of %d dealings at random; "+
		"%d units above their own variance in every dealing\n",
		r.AU, len(r.MuVariance), r.AUCorrected, AUThreshold, r.AUFloor, r.AUCorrectedFlr, NullPermutations, r.AUBeyondFloor)
	if r.EncoderMI != nil && r.EncoderAU != nil {
		fmt.Fprintf(&b, "  encoder MI %.3f nats (s.e. %.3f), AU %d of %d    of the inference network's q_phi(z|x) itself (exact means and variances: no Monte Carlo floor)\n",
			*r.EncoderMI, r.EncoderMISE, *r.EncoderAU, len(r.MuVariance))
	}
	fmt.Fprintf(&b, "  reconstructions of the first %d sentences (greedy decoding of the posterior mean): %d distinct, holding %.3f of their input's words (s.e. %.3f); "+
		"floor (the means of the chains dealt at random): %d distinct, holding %.3f\n",
		r.Reconstructions, r.DistinctReconstructions, r.Agreement, r.AgreementSE, r.DistinctReconstructionsNull, r.AgreementFloor)
	start := r.ChainStart
	if start == "" {
		start = "N(0, I)"
	}
	fmt.Fprintf(&b, "  q(z|x): diagonal Gaussian fitted to P=%d posterior chains of %d Langevin steps (step %g) from %s, sigma floor %g\n",
		s.Chains, s.K1, s.S1, start, s.SigmaFloor)
	if r.LogZ.Samples > 0 {
		fmt.Fprintf(&b, "  log Z %8.4f (s.e. %.4f)       %s, effective sample size %.0f\n", r.LogZ.Value, r.LogZ.StdErr, r.LogZ.Method, r.LogZ.ESS)
		if !r.LogZ.Reliable() {
			fmt.Fprintf(&b, "  warning: log Z is unreliable (effective sample size %.0f < %d): p_alpha has mass where N(0, I) has almost none, "+
				"so NLL and PPL are not to be trusted (they can even come out negative); the prior has drifted away from its base measure\n",
				r.LogZ.ESS, prior.MinLogZESS)
		}
	} else {
		fmt.Fprintf(&b, "  log Z %8.4f                  %s\n", r.LogZ.Value, r.LogZ.Method)
	}
	return b.String()
}

// UnknownWarning is the share of <unk> words above which an evaluation warns that the data may not be
// the model's corpus.
const UnknownWarning = 0.05

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// Unigram is the reference an LSTM text model must beat: a unigram distribution over words and <eos>
// estimated from the training set with add-one smoothing over the vocabulary (<pad> and <bos> excluded).
type Unigram struct {
	NLL float64 `json:"nll"` // nats per sentence
	PPL float64 `json:"ppl"`
}

// UnigramBaseline scores the first n sentences of test (n <= 0: all) under the unigram model of train.
func UnigramBaseline(train, test *corpora.Dataset, vocabSize, n int) Unigram {
	counts := make([]float64, vocabSize)
	total := 0.0
	for _, ex := range train.Examples {
		for _, w := range ex {
			counts[w]++
		}
		counts[corpora.EosID]++
		total += float64(len(ex) + 1)
	}
	support := float64(vocabSize - 2) // no <pad>, no <bos>
	logp := func(id int) float64 { return math.Log((counts[id] + 1) / (total + support)) }
	var nll float64
	tokens := 0
	scored := test.Examples
	if n > 0 && n < len(scored) {
		scored = scored[:n]
	}
	for _, ex := range scored {
		for _, w := range ex {
			nll -= logp(w)
		}
		nll -= logp(corpora.EosID)
		tokens += len(ex) + 1
	}
	return Unigram{NLL: nll / float64(len(scored)), PPL: math.Exp(nll / float64(tokens))}
}
