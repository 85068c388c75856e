package text

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// TestBoWLoss compares the bag-of-words loss of the graph with the formula computed on the host from the
// head's values: weight * -sum over the words (not </s>, not padding) of log softmax(W z + b)[word].
func TestBoWLoss(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c"}, "gaussian")
	cfg := m.Config
	cfg.PosteriorInit, cfg.K1, cfg.BoWWeight = learn.InitEncoder, 0, 0.7
	m, err := NewModel(m.Backend, cfg, m.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	const N, T = 3, 4
	targets := []int32{4, 5, corpora.EosID, 0, 6, 6, 4, corpora.EosID, corpora.EosID, 0, 0, 0}
	mask := []float32{1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0}
	d, V := cfg.ZDim, m.Vocab.Size()
	rng := rand.New(rand.NewPCG(3, 4))
	z := make([]float32, N*d)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	exec, err := model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		return []*graph.Node{m.BoW.Loss(in[0], in[1], in[2])}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(z, N, d), tensors.FromFlatDataAndDimensions(targets, N, T), tensors.FromFlatDataAndDimensions(mask, N, T))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	w := tensors.MustCopyFlatData[float32](m.BoW.w.MustValue())
	b := tensors.MustCopyFlatData[float32](m.BoW.b.MustValue())
	for i := 0; i < N; i++ {
		logits := make([]float64, V)
		mx := math.Inf(-1)
		for v := 0; v < V; v++ {
			logits[v] = float64(b[v])
			for j := 0; j < d; j++ {
				logits[v] += float64(z[i*d+j]) * float64(w[j*V+v])
			}
			mx = math.Max(mx, logits[v])
		}
		lse := 0.0
		for _, l := range logits {
			lse += math.Exp(l - mx)
		}
		lse = mx + math.Log(lse)
		want := 0.0
		for k := 0; k < T; k++ {
			if y := targets[i*T+k]; mask[i*T+k] == 1 && y != corpora.EosID {
				want -= logits[y] - lse
			}
		}
		want *= cfg.BoWWeight
		if math.Abs(float64(got[i])-want) > 1e-4*math.Max(1, want) {
			t.Errorf("row %d: loss %.6f, want %.6f", i, got[i], want)
		}
	}
	if got[2] != 0 {
		t.Errorf("a sentence of no word has loss %g, want 0", got[2])
	}
	cfg.PosteriorInit = learn.InitNoise
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--posterior-init encoder") {
		t.Errorf("a bag-of-words weight without the inference network: %v", err)
	}
}
