package text

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
)

// peakyModel is a tiny model whose distribution depends strongly on z and is far from uniform.
func peakyModel(t *testing.T) *Model {
	m := tinyModel(t, []string{"a", "b"}, prior.Gaussian)
	for _, v := range m.Decoder.Variables() {
		scaleVariable(t, v, 25)
	}
	return m
}

// sentenceLogProb scores each sentence (word ids) followed by <eos> under z with teacher forcing.
func sentenceLogProb(t *testing.T, m *Model, z []float32, sents [][]int) []float64 {
	t.Helper()
	ds := corpora.NewDatasetFromIDs(sents, 16)
	out := make([]float64, len(sents))
	for i := range sents {
		b := ds.MakeBatch([]int{i}, ds.BucketOf(i))
		lp, err := m.LogPX(b, z)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = float64(lp[0])
	}
	return out
}

// TestBeamEqualsExhaustive: with a beam as wide as the number of live hypotheses, beam search returns the
// argmax over all sentences of at most L words (enumerated and scored by teacher forcing).
func TestBeamEqualsExhaustive(t *testing.T) {
	m := peakyModel(t)
	const L = 3
	tokens := []int{corpora.UnkID, 4, 5}
	var all [][]int
	var gen func(cur []int)
	gen = func(cur []int) {
		all = append(all, append([]int(nil), cur...))
		if len(cur) == L {
			return
		}
		for _, w := range tokens {
			gen(append(cur, w))
		}
	}
	gen(nil)
	rng := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 5; trial++ {
		z := []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		scores := sentenceLogProb(t, m, z, all)
		best := 0
		for i, s := range scores {
			if s > scores[best] {
				best = i
			}
		}
		got, err := m.Decode(z, 1, DecodeOptions{Method: Beam, BeamWidth: 27, MaxWords: L}, nil)
		if err != nil {
			t.Fatal(err)
		}
		gotScore := sentenceLogProb(t, m, z, [][]int{got[0]})[0]
		if math.Abs(gotScore-scores[best]) > 1e-4 {
			t.Fatalf("z=%v: beam found %v (log p %.4f), exhaustive %v (log p %.4f)", z, got[0], gotScore, all[best], scores[best])
		}
	}
}

// TestSamplingReproducibleAndCalibrated: the same seed gives the same sentences; first-word frequencies
// over many samples match p(w | z) computed by teacher forcing (chi-square test).
func TestSamplingReproducibleAndCalibrated(t *testing.T) {
	m := peakyModel(t)
	scaleVariable(t, m.Decoder.wo, 0.1) // flatter output layer: every first word has visible probability
	z := []float32{0.3, -0.7}
	const n = 3000
	zs := make([]float32, 0, 2*n)
	for i := 0; i < n; i++ {
		zs = append(zs, z...)
	}
	opt := DecodeOptions{Method: Sample, Temperature: 1, MaxWords: 4}
	a, err := m.Decode(zs, n, opt, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Decode(zs, n, opt, rand.New(rand.NewPCG(1, 2)))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("sampling with the same seed must reproduce")
	}
	// p(first token) from teacher forcing: mask only the first target.
	first := []int{corpora.UnkID, corpora.EosID, 4, 5}
	var probs []float64
	var total float64
	for _, w := range first {
		bt := &corpora.Batch{Size: 1, Len: 1, Inputs: []int32{corpora.BosID}, Targets: []int32{int32(w)}, Mask: []float32{1}}
		lp, err := m.LogPX(bt, z)
		if err != nil {
			t.Fatal(err)
		}
		probs = append(probs, math.Exp(float64(lp[0])))
		total += probs[len(probs)-1]
	}
	counts := map[int]int{}
	for _, s := range a {
		if len(s) == 0 {
			counts[corpora.EosID]++
		} else {
			counts[s[0]]++
		}
	}
	var chi2 float64
	for i, w := range first {
		exp := n * probs[i] / total // renormalised without <pad> and <bos>
		chi2 += (float64(counts[w]) - exp) * (float64(counts[w]) - exp) / exp
	}
	if chi2 > 16.27 { // chi-square, 3 degrees of freedom, p = 0.001
		t.Fatalf("first-word frequencies %v do not match probabilities %v (chi2 %.2f)", counts, probs, chi2)
	}
}
