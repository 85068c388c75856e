package text

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
)

func tinyModel(t *testing.T, words []string, prior string) *Model {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := Preset("embedded-paper")
	cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim, cfg.EBMWidth, cfg.Prior = 4, 8, 2, 8, prior
	vocab := corpora.NewVocab(append([]string{corpora.PadToken, corpora.UnkToken, corpora.BosToken, corpora.EosToken}, words...))
	m, err := NewModel(backend, cfg, vocab)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDecoderNormalised: for a fixed z, summing p(w <eos> | z) over every sequence w of non-<eos> tokens of
// length 0..L, plus p(w) over every <eos>-free prefix of length L+1, must give exactly 1. This checks the
// softmax, teacher forcing, <eos> handling and the padding mask together.
func TestDecoderNormalised(t *testing.T) {
	m := tinyModel(t, []string{"a"}, "gaussian")
	const L = 3
	V := m.Vocab.Size()
	var nonEos []int
	for id := 0; id < V; id++ {
		if id != corpora.EosID {
			nonEos = append(nonEos, id)
		}
	}
	var seqs [][]int // rows: words, last flag says "prefix" (no <eos>)
	var prefix []bool
	var gen func(cur []int)
	gen = func(cur []int) {
		if len(cur) <= L {
			seqs = append(seqs, append([]int(nil), cur...))
			prefix = append(prefix, false)
		}
		if len(cur) == L+1 {
			seqs = append(seqs, append([]int(nil), cur...))
			prefix = append(prefix, true)
			return
		}
		for _, w := range nonEos {
			gen(append(cur, w))
		}
	}
	gen(nil)
	T := L + 1
	B := len(seqs)
	b := &corpora.Batch{Size: B, Len: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Mask: make([]float32, B*T)}
	for r, s := range seqs {
		b.Inputs[r*T] = corpora.BosID
		for t, w := range s {
			if t+1 < T {
				b.Inputs[r*T+t+1] = int32(w)
			}
			b.Targets[r*T+t] = int32(w)
			b.Mask[r*T+t] = 1
		}
		if !prefix[r] {
			b.Targets[r*T+len(s)] = corpora.EosID
			b.Mask[r*T+len(s)] = 1
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 3; trial++ {
		z0 := []float32{float32(rng.NormFloat64() * 2), float32(rng.NormFloat64() * 2)}
		z := make([]float32, 0, 2*B)
		for r := 0; r < B; r++ {
			z = append(z, z0...)
		}
		lp, err := m.LogPX(b, z)
		if err != nil {
			t.Fatal(err)
		}
		var total float64
		for _, v := range lp {
			total += math.Exp(float64(v))
		}
		if math.Abs(total-1) > 1e-4 {
			t.Fatalf("z=%v: total probability %.6f, want 1", z0, total)
		}
	}
}

// TestBatchLayoutMatchesTokenCount: the mask counts words + <eos>, excluding <bos>.
func TestBatchLayoutMatchesTokenCount(t *testing.T) {
	vocab := corpora.BuildVocab([][]string{{"a", "b", "c"}}, 0, 1)
	ds, err := corpora.NewDataset([][]string{{"a", "b"}, {"c"}, {"a", "b", "c", "a", "b", "c", "a"}}, vocab, 6)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Tokens != 3+2 || ds.LeftOut != 1 { // the last sentence, of 7 words, is left out
		t.Fatalf("tokens %d, left out %d; want 5, 1", ds.Tokens, ds.LeftOut)
	}
	var masked float32
	for _, b := range ds.EvalBatches(2) {
		for _, v := range b.Mask {
			masked += v
		}
	}
	if int(masked) != ds.Tokens {
		t.Fatalf("mask sums to %v, want %d", masked, ds.Tokens)
	}
}

// TestTargetLogProbsMatchesLogSoftmax: the gathered target log-probabilities and their gradient with
// respect to h and to the output layer equal those of the textbook form, log_softmax(W_o h + b_o) picked
// by a one-hot product, on random hidden states and targets.
func TestTargetLogProbsMatchesLogSoftmax(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c", "d", "e"}, "gaussian")
	const M = 7
	rng := rand.New(rand.NewPCG(3, 4))
	h := make([]float32, M*m.Decoder.Hidden)
	for i := range h {
		h[i] = float32(3 * rng.NormFloat64()) // large enough that the max subtraction matters
	}
	targets := make([]int32, M)
	r := make([]float32, M)
	for i := range targets {
		targets[i] = int32(rng.IntN(m.Vocab.Size()))
		r[i] = float32(rng.NormFloat64())
	}
	wo := m.Ctx.Store().GetVariable("/decoder/w_o")
	out := model.MustCallOnceN(m.Backend, m.Ctx.Store(), func(_ *model.Scope, hn, tn, rn *graph.Node) []*graph.Node {
		gathered := m.Decoder.TargetLogProbs(hn, tn)
		oh := graph.OneHot(tn, m.Decoder.Vocab, hn.DType())
		textbook := graph.ReduceSum(graph.Mul(m.Decoder.LogProbs(hn), oh), -1)
		woNode := wo.NodeValue(hn.Graph())
		g1 := graph.Gradient(graph.ReduceAllSum(graph.Mul(gathered, rn)), hn, woNode)
		g2 := graph.Gradient(graph.ReduceAllSum(graph.Mul(textbook, rn)), hn, woNode)
		return []*graph.Node{gathered, textbook, g1[0], g2[0], g1[1], g2[1]}
	}, tensors.FromFlatDataAndDimensions(h, M, m.Decoder.Hidden), targets, r)
	for i, name := range []string{"log p", "d/dh", "d/dW_o"} {
		got, want := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
		for j := range want {
			if math.Abs(float64(got[j]-want[j])) > 1e-5*(1+math.Abs(float64(want[j]))) {
				t.Fatalf("%s[%d] = %g, textbook form %g", name, j, got[j], want[j])
			}
		}
	}
}
