package textmetrics

import (
	"math"
	"sort"
	"strings"
)

// BLEU is corpus BLEU-N with its parts.
type BLEU struct {
	Score      float64   `json:"score"`      // BP * exp(mean_n log p_n), in [0, 1]
	Precisions []float64 `json:"precisions"` // modified n-gram precisions p_1..p_N
	BP         float64   `json:"brevity_penalty"`
	HypLen     int       `json:"hypothesis_length"`
	RefLen     int       `json:"reference_length"` // sum over hypotheses of the closest reference length
}

// CorpusBLEU scores hypotheses against one shared set of references (every hypothesis is compared with
// all of them, as latent text-model papers score samples against a test set), with n-grams up to maxN
// and uniform weights, no smoothing (Papineni et al. 2002):
//
//	p_n = sum_h sum_g min(count_h(g), max_r count_r(g)) / sum_h (number of n-grams of h)
//	BP  = 1 if c > r else exp(1 - r/c),  c = total hypothesis length, r = sum of closest reference lengths
//	      (ties to the shorter)
//	BLEU = BP * exp(sum_n log(p_n) / maxN), and 0 when some p_n is 0.
//
// A hypothesis shorter than n words has no n-grams and adds nothing to p_n's denominator (Papineni et
// al.'s definition). NLTK's corpus_bleu instead adds max(1, number of n-grams) per hypothesis, a phantom
// n-gram that never matches, so with short hypotheses (samples of 1-3 words) NLTK's score is lower than
// this one; with none shorter than maxN words the two agree (TestCorpusBLEUShortHypotheses).
func CorpusBLEU(hyps, refs [][]string, maxN int) BLEU {
	maxRef := make([]map[string]int, maxN+1)
	for n := 1; n <= maxN; n++ {
		maxRef[n] = map[string]int{}
	}
	refLens := make([]int, 0, len(refs))
	for _, r := range refs {
		refLens = append(refLens, len(r))
		for n := 1; n <= maxN; n++ {
			for g, c := range ngrams(r, n) {
				if c > maxRef[n][g] {
					maxRef[n][g] = c
				}
			}
		}
	}
	sort.Ints(refLens)
	out := BLEU{Precisions: make([]float64, maxN)}
	match := make([]int, maxN+1)
	total := make([]int, maxN+1)
	for _, h := range hyps {
		out.HypLen += len(h)
		out.RefLen += closest(refLens, len(h))
		for n := 1; n <= maxN; n++ {
			for g, c := range ngrams(h, n) {
				match[n] += min(c, maxRef[n][g])
				total[n] += c
			}
		}
	}
	logSum := 0.0
	for n := 1; n <= maxN; n++ {
		if total[n] > 0 {
			out.Precisions[n-1] = float64(match[n]) / float64(total[n])
		}
		if out.Precisions[n-1] == 0 {
			logSum = math.Inf(-1)
		} else {
			logSum += math.Log(out.Precisions[n-1])
		}
	}
	out.BP = 1
	if out.HypLen == 0 {
		out.BP = 0
	} else if out.HypLen <= out.RefLen {
		out.BP = math.Exp(1 - float64(out.RefLen)/float64(out.HypLen))
	}
	if !math.IsInf(logSum, -1) {
		out.Score = out.BP * math.Exp(logSum/float64(maxN))
	}
	return out
}

func ngrams(s []string, n int) map[string]int {
	out := map[string]int{}
	for i := 0; i+n <= len(s); i++ {
		out[strings.Join(s[i:i+n], "\x00")]++
	}
	return out
}

// closest returns the reference length closest to l (the shorter on ties), from sorted lengths.
func closest(sorted []int, l int) int {
	if len(sorted) == 0 {
		return 0
	}
	i := sort.SearchInts(sorted, l)
	if i == len(sorted) {
		return sorted[i-1]
	}
	if i > 0 && l-sorted[i-1] <= sorted[i]-l {
		return sorted[i-1]
	}
	return sorted[i]
}
