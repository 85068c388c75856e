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
	fmt.Fprintf(&b, "%s split: %d sentences, %d predicted tokens (words + <eos>), prior %s\n", r.Split, r.Sentences, r.Tokens, r.Prior)
	if r.Truncated > 0 {
		fmt.Fprintf(&b, "  %d sentences cut to %d tokens (--max-len): their tokens past it are not scored\n", r.Truncated, r.MaxLen)
	} else {
		fmt.Fprintf(&b, "  whole sentences scored (the longest: %d tokens with <bos> and <eos>)\n", r.MaxLen)
	}
	fmt.Fprintf(&b, "  NLL   %8.3f nats/sentence (s.e. %.3f: %.3f over sentences, %.3f of log Z)  importance sampling, S=%d samples of q(z|x) per sentence\n",
		r.NLL, r.NLLSE, r.NLLSESentences, r.LogZ.StdErr, roundUp(s.ImportanceSamples, s.Chains))
	fmt.Fprintf(&b, "  PPL   %8.3f                 exp(sum of NLL / predicted tokens)\n", r.PPL)
	fmt.Fprintf(&b, "  recon %8.3f nats/sentence    E_p(z|x)[-log p(x|z)] (self-normalised IS), reconstruction term; NLL - recon = KL(p(z|x) || p(z))\n", r.Recon)
	fmt.Fprintf(&b, "  MI    %8.3f nats             mixture estimator over %d sentences (ceiling log N = %.3f); floor %.3f on %d copies of sentence %d\n",
		r.MI, r.Sentences, r.MICeiling, r.MIFloor, r.FloorCopies, r.FloorSentence)
	fmt.Fprintf(&b, "  MI_He %8.3f nats             He et al. 2019's form (exact entropy, mixture within batches of at most %d sentences of one length: ceiling ~ log %d = %.3f); floor %.3f\n",
		r.MIHe, HeBatch, HeBatch, math.Log(HeBatch), r.MIHeFloor)
	fmt.Fprintf(&b, "  AU    %4d of %d (noise-corrected %d)  Var_x(mu_x) > %.2g; corrected subtracts mean sigma^2/P; floor %d (corrected %d)\n",
		r.AU, len(r.MuVariance), r.AUCorrected, AUThreshold, r.AUFloor, r.AUCorrectedFlr)
	if r.EncoderMI != nil && r.EncoderAU != nil {
		fmt.Fprintf(&b, "  encoder MI %.3f nats, AU %d of %d    of the inference network's q_phi(z|x) itself (exact means and variances: no Monte Carlo floor)\n",
			*r.EncoderMI, *r.EncoderAU, len(r.MuVariance))
	}
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

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// Unigram is the reference an LSTM text model must beat: a unigram distribution over words and <eos>
// estimated from the training set with add-one smoothing over the vocabulary (<pad> and <bos> excluded).
type Unigram struct {
	NLL float64 `json:"nll"` // nats per sentence
	PPL float64 `json:"ppl"`
}

// UnigramBaseline scores test under the unigram model of train.
func UnigramBaseline(train, test *corpora.Dataset, vocabSize int) Unigram {
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
	for _, ex := range test.Examples {
		for _, w := range ex {
			nll -= logp(w)
		}
		nll -= logp(corpora.EosID)
		tokens += len(ex) + 1
	}
	return Unigram{NLL: nll / float64(len(test.Examples)), PPL: math.Exp(nll / float64(tokens))}
}
