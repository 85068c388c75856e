package text

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

func setVariable(v *model.Variable, vals []float32) {
	v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...))
}

// constructedModel is a 1-unit LSTM decoder over the words {a, b} with z of dimension 1 and the gaussian
// prior, built by hand: the input, forget and output gates are saturated (i = o = 1, f = 0), so
// c_t = tanh(w z) and h_t = tanh(tanh(w z)) at every step, and the logits of a and b are +-3 h_t.
// With w = 1 each token is a noisy copy of sign(z) (z is informative); with w = 0 the decoder ignores z.
func constructedModel(t *testing.T, w float32) *Model {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := Preset("embedded-paper")
	cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim, cfg.Prior = 1, 1, 1, prior.Gaussian
	cfg.K1, cfg.S1 = 60, 0.3
	vocab := corpora.NewVocab([]string{corpora.PadToken, corpora.UnkToken, corpora.BosToken, corpora.EosToken, "a", "b"})
	m, err := NewModel(backend, cfg, vocab)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Decoder
	V := vocab.Size()
	setVariable(d.emb, make([]float32, V))
	setVariable(d.wx, make([]float32, 4))
	setVariable(d.u, make([]float32, 4))
	setVariable(d.b, []float32{10, -10, 0, 10}) // gates i, f, g, o
	setVariable(d.wz, []float32{0, 0, w, 0})
	setVariable(d.wh, []float32{0})
	setVariable(d.bh, []float32{0})
	a, b := vocab.ID("a"), vocab.ID("b")
	wo := make([]float32, V)
	wo[a], wo[b] = 3, -3
	setVariable(d.wo, wo)
	bo := make([]float32, V)
	for _, id := range []int{corpora.PadID, corpora.UnkID, corpora.BosID} {
		bo[id] = -20
	}
	setVariable(d.bo, bo)
	return m
}

// TestDiagnosisConstructed: sentences of 8 words with k = 0..8 a's. A decoder that copies z into the
// words must read as informative (MI well above its floor, an active unit above the floor's); one that
// ignores z must read as collapsed.
func TestDiagnosisConstructed(t *testing.T) {
	var ids [][]int
	for i := 0; i < 90; i++ {
		k := i % 9
		s := make([]int, 8)
		for j := range s {
			s[j] = 5 // b
			if j < k {
				s[j] = 4 // a
			}
		}
		ids = append(ids, s)
	}
	ds := corpora.NewDatasetFromIDs(ids, 10)
	copying, ignoring := constructedModel(t, 1), constructedModel(t, 0)
	ec := DiagnoseConfig(copying.Config)
	ec.MaxSentences, ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.Seed = 90, 16, 16, 10, 3
	copyZ, err := copying.Diagnose(ds, ec)
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := ignoring.Diagnose(ds, ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copies z: %+v", *copyZ)
	t.Logf("ignores z: %+v", *ignore)
	if copyZ.Collapsed || !strings.HasPrefix(copyZ.Verdict, "latent: informative") || copyZ.MI-copyZ.MIFloor < 0.4 || copyZ.AUCorrected != 1 || copyZ.Gap < 0.5 {
		t.Errorf("a decoder that copies z reads as uninformative: %s", copyZ.Short())
	}
	if !ignore.Collapsed || math.Abs(ignore.Gap) > 0.1 {
		t.Errorf("a decoder that ignores z does not read as collapsed: %s", ignore.Short())
	}
	if w := ignore.Warning(); !strings.Contains(w, "collapsed") {
		t.Errorf("no warning for the collapsed decoder: %q", w)
	}
	if copyZ.Warning() != "" {
		t.Error("warning for an informative decoder")
	}
	// With a posterior equal to the prior, the chains' displacement matches the analytic N(0, 1) value.
	if rel := math.Abs(ignore.Displacement-ignore.NoiseDisplacement) / ignore.NoiseDisplacement; rel > 0.1 {
		t.Errorf("displacement %.3f vs analytic %.3f for a posterior equal to N(0,1)", ignore.Displacement, ignore.NoiseDisplacement)
	}
}

// TestNoiseDisplacement checks the analytic displacement against simulated chains on N(0, I).
func TestNoiseDisplacement(t *testing.T) {
	const d, K, n = 4, 20, 20000
	sched := learn.StepSchedule(0.3, 0.05)
	rng := newRNG(7)
	var sum float64
	for i := 0; i < n; i++ {
		z0 := sampler.StandardNormal(rng, d)
		z := append([]float32(nil), z0...)
		for k := 0; k < K; k++ {
			s := sched(k, K)
			for j := range z {
				z[j] = z[j] - float32(s*s/2)*z[j] + float32(s*rng.NormFloat64())
			}
		}
		var sq float64
		for j := range z {
			dz := float64(z[j] - z0[j])
			sq += dz * dz
		}
		sum += math.Sqrt(sq)
	}
	got, want := sum/n, NoiseDisplacement(d, K, sched)
	if math.Abs(got-want)/want > 0.02 {
		t.Fatalf("simulated mean displacement %.4f, analytic %.4f", got, want)
	}
}

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

// TestEncoderStats: an inference network whose mean is a fixed function of the first word has MI > 0
// and active units; one whose mean weights are zero has MI 0 and no active unit.
func TestEncoderStats(t *testing.T) {
	cfg := smallConfig()
	cfg.PosteriorInit = learn.InitEncoder
	tr, _ := newTrainer(t, cfg)
	m := tr.Model
	ds := corpora.NewDatasetFromIDs(tr.Data.Examples[:200], cfg.MaxLen)
	idx := make([]int, 200)
	for i := range idx {
		idx[i] = i
	}
	scaleVariable(t, m.Encoder.wmu, 30)
	scaleVariable(t, m.Encoder.emb, 10)
	scaleVariable(t, m.Encoder.wlv, 0)
	setVariable(m.Encoder.blv, constant(cfg.ZDim, -4)) // sigma = 0.14
	mi, _, au, err := m.encoderStats(ds, idx, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if mi < 0.5 || au == 0 {
		t.Errorf("informative encoder: MI %.3f, AU %d", mi, au)
	}
	ec := DiagnoseConfig(m.Config)
	ec.MaxSentences, ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.Seed = 50, 4, 4, 100, 1
	diag, err := m.Diagnose(ds, ec)
	if err != nil {
		t.Fatal(err)
	}
	if diag.EncoderMI == nil || diag.EncoderAU == nil || *diag.EncoderAU == 0 {
		t.Errorf("the diagnosis does not carry the encoder's statistics: %+v", diag)
	}
	scaleVariable(t, m.Encoder.wmu, 0)
	mi, _, au, err = m.encoderStats(ds, idx, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mi) > 0.05 || au != 0 {
		t.Errorf("constant encoder: MI %.3f, AU %d", mi, au)
	}
}

func constant(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestVerdictConstructed: the evaluation's one-line verdict on the same constructed models: informative
// for the decoder that copies z, collapsed for the one that ignores it, each with the numbers behind it.
func TestVerdictConstructed(t *testing.T) {
	var ids [][]int
	for i := 0; i < 90; i++ {
		k := i % 9
		s := make([]int, 8)
		for j := range s {
			s[j] = 5
			if j < k {
				s[j] = 4
			}
		}
		ids = append(ids, s)
	}
	ds := corpora.NewDatasetFromIDs(ids, 10)
	for copies, want := range map[float32]string{1: "latent: informative (", 0: "latent: collapsed ("} {
		m := constructedModel(t, copies)
		ec := DefaultEvalConfig(m.Config)
		ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.Seed = 16, 16, 10, 3
		res, err := m.Evaluate(ds, "valid", ec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Verdict, want) || !strings.Contains(res.Verdict, "MI ") || !strings.Contains(res.Verdict, "words of the input reconstructed") {
			t.Errorf("decoder copying z with weight %v: verdict %q, want %q", copies, res.Verdict, want)
		}
	}
}
