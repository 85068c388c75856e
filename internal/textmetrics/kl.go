package textmetrics

import "math"

// UnigramKL is the word-level KL divergence between unigram distributions.
type UnigramKL struct {
	KL        float64 `json:"kl"`        // KL(p || q) in nats
	Smoothing float64 `json:"smoothing"` // add-alpha count smoothing over the union vocabulary
	Vocab     int     `json:"vocab"`     // size of the union vocabulary
}

// KLUnigram computes KL(p || q) = sum_w p(w) log(p(w) / q(w)) where p and q are the add-alpha smoothed
// unigram distributions of the words of pText and qText over the union of their words:
// p(w) = (count_p(w) + alpha) / (N_p + alpha * |V|). alpha > 0 keeps the divergence finite when q misses
// words of p; alpha = 0 gives the unsmoothed divergence (+Inf if q misses a word of p).
func KLUnigram(pText, qText [][]string, alpha float64) UnigramKL {
	pc, qc := map[string]float64{}, map[string]float64{}
	var pn, qn float64
	for _, s := range pText {
		for _, w := range s {
			pc[w]++
			pn++
		}
	}
	for _, s := range qText {
		for _, w := range s {
			qc[w]++
			qn++
		}
	}
	vocab := map[string]bool{}
	for w := range pc {
		vocab[w] = true
	}
	for w := range qc {
		vocab[w] = true
	}
	V := float64(len(vocab))
	var kl float64
	for w := range vocab {
		p := (pc[w] + alpha) / (pn + alpha*V)
		q := (qc[w] + alpha) / (qn + alpha*V)
		if p == 0 {
			continue
		}
		if q == 0 {
			return UnigramKL{KL: math.Inf(1), Smoothing: alpha, Vocab: len(vocab)}
		}
		kl += p * math.Log(p/q)
	}
	return UnigramKL{KL: kl, Smoothing: alpha, Vocab: len(vocab)}
}
