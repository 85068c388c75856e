package textmetrics

import (
	"math"
	"strings"
	"testing"
)

func toks(lines ...string) [][]string {
	var out [][]string
	for _, l := range lines {
		out = append(out, strings.Fields(l))
	}
	return out
}

func TestBLEUHandComputed(t *testing.T) {
	// Identical hypothesis and reference: every precision 1, no penalty.
	b := CorpusBLEU(toks("the cat sat on the mat"), toks("the cat sat on the mat"), 4)
	if math.Abs(b.Score-1) > 1e-12 || b.BP != 1 {
		t.Fatalf("identical: %+v", b)
	}
	// Papineni's clipping example: "the the the the the the the" vs "the cat is on the mat": p1 = 2/7.
	b = CorpusBLEU(toks("the the the the the the the"), toks("the cat is on the mat"), 1)
	if math.Abs(b.Precisions[0]-2.0/7) > 1e-12 || b.BP != 1 || math.Abs(b.Score-2.0/7) > 1e-12 {
		t.Fatalf("clipping: %+v", b)
	}
	// Brevity penalty: hypothesis "the cat" (2 words) vs reference of 6 words: BP = exp(1 - 6/2).
	b = CorpusBLEU(toks("the cat"), toks("the cat sat on the mat"), 2)
	if math.Abs(b.BP-math.Exp(-2)) > 1e-12 || math.Abs(b.Score-math.Exp(-2)) > 1e-12 {
		t.Fatalf("brevity: %+v", b)
	}
	// Zero 4-gram matches give 0, though unigram matches exist.
	b = CorpusBLEU(toks("mat the on sat cat the"), toks("the cat sat on the mat"), 4)
	if b.Score != 0 || b.Precisions[0] != 1 || b.Precisions[3] != 0 {
		t.Fatalf("zero match: %+v", b)
	}
	// Hand-computed corpus case with two references (closest length 4 for a 4-word hypothesis):
	// hyp "a b c d", refs "a b c e" and "x b c d y": p1 = 4/4, p2 = (ab, bc, cd) 3/3, p3 = (abc, bcd) 2/2,
	// p4 = 0/1 -> BLEU-3 = 1, BLEU-4 = 0.
	b = CorpusBLEU(toks("a b c d"), toks("a b c e", "x b c d y"), 3)
	if math.Abs(b.Score-1) > 1e-12 || b.RefLen != 4 {
		t.Fatalf("multi-reference: %+v", b)
	}
	// Two hypotheses: "a b" and "c c", refs "a b c": p1 = (2 + 1) / 4 (c clipped to 1), p2 = (1 + 0) / 2;
	// closest lengths 3 and 3, c = 4 < r = 6: BP = exp(1 - 6/4).
	b = CorpusBLEU(toks("a b", "c c"), toks("a b c"), 2)
	want := math.Exp(1-6.0/4) * math.Sqrt(3.0/4*1.0/2)
	if math.Abs(b.Score-want) > 1e-12 {
		t.Fatalf("corpus: %v, want %v (%+v)", b.Score, want, b)
	}
}

func TestKLUnigramKnown(t *testing.T) {
	if kl := KLUnigram(toks("a b a c"), toks("c a b a"), 0).KL; math.Abs(kl) > 1e-12 {
		t.Fatalf("same distribution: %v", kl)
	}
	// p = (1/2, 1/2), q = (1/4, 3/4): KL = 1/2 log 2 + 1/2 log(2/3).
	kl := KLUnigram(toks("a b"), toks("a b b b"), 0).KL
	if want := 0.5*math.Log(2) + 0.5*math.Log(2.0/3); math.Abs(kl-want) > 1e-12 {
		t.Fatalf("KL %v, want %v", kl, want)
	}
	if kl := KLUnigram(toks("a b"), toks("a a"), 0).KL; !math.IsInf(kl, 1) {
		t.Fatalf("q misses a word of p: %v", kl)
	}
	// With add-one smoothing over {a, b}: p = (2/4, 2/4), q = (3/4, 1/4).
	kl = KLUnigram(toks("a b"), toks("a a"), 1).KL
	if want := 0.5*math.Log(0.5/0.75) + 0.5*math.Log(0.5/0.25); math.Abs(kl-want) > 1e-12 {
		t.Fatalf("smoothed KL %v, want %v", kl, want)
	}
}
