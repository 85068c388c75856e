package textmetrics

import (
	"math"
	"testing"
)

// TestCorpusBLEUShortHypotheses: a 2-word hypothesis has no 3- or 4-grams and adds nothing to p_3 and
// p_4's denominators (Papineni et al.). hyps "a b c d", "a b", ref "a b c d": p_n = 1 for all n, c = 6,
// r = 8, BLEU-4 = exp(1 - 8/6). NLTK's corpus_bleu counts max(1, n-grams) per hypothesis: p_3 = 2/3,
// p_4 = 1/2 and BLEU-4 = exp(1 - 8/6) (1/3)^(1/4), lower; without the short hypothesis the two agree.
func TestCorpusBLEUShortHypotheses(t *testing.T) {
	b := CorpusBLEU(toks("a b c d", "a b"), toks("a b c d"), 4)
	bp := math.Exp(1 - 8.0/6)
	if math.Abs(b.Score-bp) > 1e-12 || b.Precisions[2] != 1 || b.Precisions[3] != 1 {
		t.Fatalf("short hypothesis: %+v, want BLEU %v with every precision 1", b, bp)
	}
	if nltk := bp * math.Pow(1.0/3, 0.25); b.Score <= nltk {
		t.Fatalf("BLEU %v should exceed NLTK's %v (phantom n-grams)", b.Score, nltk)
	}
	if b := CorpusBLEU(toks("a b c d"), toks("a b c d"), 4); b.Score != 1 {
		t.Fatalf("no short hypothesis: %+v", b)
	}
}
