package text

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/sampler"
)

// smallConfig is a configuration small enough for tests on 2 CPU cores.
func smallConfig() Config {
	cfg, _ := Preset("embedded-paper")
	cfg.EmbedDim, cfg.HiddenDim, cfg.ZDim, cfg.EBMWidth = 16, 32, 8, 32
	cfg.K0, cfg.K1, cfg.Batch = 10, 5, 16
	return cfg
}

func newTrainer(t *testing.T, cfg Config) (*Trainer, *corpora.Corpus) {
	t.Helper()
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadCorpus("")
	if err != nil {
		t.Fatal(err)
	}
	vocab := corpora.BuildVocab(c.Train, cfg.VocabSize, cfg.MinCount)
	m, err := NewModel(backend, cfg, vocab)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Encode(c, vocab, cfg.MaxLen, "train")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr, c
}

// variables are the values of every variable of m's store (the float32 model and optimizer state and
// GoMLX's int64 global step), by path.
func variables(m *Model) map[string]any {
	out := map[string]any{}
	for v := range m.Ctx.IterVariables() {
		out[v.Path()] = v.MustValue().Value()
	}
	return out
}

// TestResumeEquivalence: 6 iterations in one go equal 3 iterations, a checkpoint, a fresh process-like
// reload and 3 more, bit for bit (model, optimizer state, batch order, chain noise, persistent chains).
func TestResumeEquivalence(t *testing.T) {
	amortized := smallConfig()
	amortized.PosteriorInit, amortized.PriorInit, amortized.PriorWeightWarmup = learn.InitEncoder, learn.InitSynthesis, 4
	amortized.K1Warmup, amortized.K1WarmupIters, amortized.S1End, amortized.S0End = 8, 2, 0.05, 0.1
	amortized.FreeBits, amortized.WordDropout = 0.2, 0.3
	persistent := smallConfig()
	persistent.PosteriorInit = learn.InitPersistent
	for name, cfg := range map[string]Config{"paper": smallConfig(), "amortized+warm-ups": amortized, "persistent chains": persistent} {
		t.Run(name, func(t *testing.T) { testResume(t, cfg) })
	}
}

func testResume(t *testing.T, cfg Config) {
	a, _ := newTrainer(t, cfg)
	for i := 0; i < 6; i++ {
		if _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := newTrainer(t, cfg)
	for i := 0; i < 3; i++ {
		if _, err := b.Step(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.SnapshotState()
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.Files()
	if err != nil {
		t.Fatal(err)
	}
	run := t.TempDir()
	if _, err := Save(run, b.Model, RunInfo{}, st, files); err != nil {
		t.Fatal(err)
	}
	m, _, st2, dir, err := Load(b.Model.Backend, run)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Config, cfg) || !reflect.DeepEqual(m.Vocab.Words, b.Model.Vocab.Words) {
		t.Fatal("checkpoint did not restore the configuration and vocabulary")
	}
	if !reflect.DeepEqual(variables(m), variables(b.Model)) {
		t.Fatal("checkpoint round trip changed variables")
	}
	c, err := NewTrainer(m, b.Data, &st2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RestorePersistent(dir); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if c.State.Step != 6 {
		t.Fatalf("step %d after resume, want 6", c.State.Step)
	}
	if !reflect.DeepEqual(a.Persist, c.Persist) {
		t.Fatal("persistent chains differ between continuous and resumed runs")
	}
	va, vc := variables(a.Model), variables(c.Model)
	for k := range va {
		if !reflect.DeepEqual(va[k], vc[k]) {
			t.Fatalf("variable %s differs between continuous and resumed runs", k)
		}
	}
}

// TestDivergingChainReported: an absurd posterior step size makes the chain explode; the error names the
// chain, the iteration and the step size, and the trainer's state does not advance.
func TestDivergingChainReported(t *testing.T) {
	cfg := smallConfig()
	cfg.S1 = 1e4
	tr, _ := newTrainer(t, cfg)
	_, err := tr.Step()
	var ce *sampler.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChainError, got %v", err)
	}
	if ce.Chain != "posterior" || ce.Iteration != 1 || ce.StepSize != 1e4 {
		t.Fatalf("report %+v", ce)
	}
	if tr.State.Step != 0 {
		t.Fatal("a failed iteration must not count")
	}
}

// TestWordDropout: only words are replaced (never <bos> or padding), at about the requested rate, and the
// targets are untouched.
func TestWordDropout(t *testing.T) {
	ds := corpora.NewDatasetFromIDs([][]int{{4, 5, 6, 7, 8, 9}, {4, 5}, {6, 7, 8}}, 10)
	b := ds.MakeBatch([]int{0, 1, 2}, 9)
	rng := rand.New(rand.NewPCG(5, 6))
	words, dropped := 0, 0
	for rep := 0; rep < 2000; rep++ {
		d := dropWords(b, 0.3, rng)
		if !reflect.DeepEqual(d.Targets, b.Targets) || !reflect.DeepEqual(d.Mask, b.Mask) {
			t.Fatal("targets or mask changed")
		}
		for i, v := range d.Inputs {
			if b.Inputs[i] == corpora.BosID || b.Inputs[i] == corpora.PadID {
				if v != b.Inputs[i] {
					t.Fatalf("position %d (<bos>/<pad>) was changed", i)
				}
				continue
			}
			words++
			if v == corpora.UnkID {
				dropped++
			} else if v != b.Inputs[i] {
				t.Fatal("a word was replaced by something other than <unk>")
			}
		}
	}
	if words != 2000*11 {
		t.Fatalf("%d word positions, want %d", words, 2000*11)
	}
	// 22000 Bernoulli(0.3) draws: s.d. of the rate 0.0031.
	if rate := float64(dropped) / float64(words); math.Abs(rate-0.3) > 0.0125 {
		t.Fatalf("dropout rate %.4f, want 0.3", rate)
	}
}
