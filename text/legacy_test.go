package text

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
)

// TestLoadsV026Checkpoint: testdata/v026run is a run written by lebm on GoMLX v0.26.0 (commit e635aff:
// `lebm train --embed 4 --hidden 8 --z 2 --ebm-width 4 --iterations 2 --batch 4`), whose optimizer state
// was lebm's own Adam. It loads by variable name; its moments m<i>, v<i> and step become GoMLX Adam's
// state for the i-th variable of each optimizer; and it trains on.
func TestLoadsV026Checkpoint(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join("testdata", "v026run")
	m, _, st, dir, err := Load(backend, run)
	if err != nil {
		t.Fatal(err)
	}
	old, err := ckpt.ReadFloat32s(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := m.Ctx.Store()
	same := func(path string, want []float32) {
		t.Helper()
		v := store.GetVariable(path)
		if v == nil {
			t.Fatalf("model has no variable %s", path)
		}
		got := tensors.MustCopyFlatData[float32](v.MustValue())
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s = %v, want the file's %v", path, got, want)
		}
	}
	for _, v := range append(m.Decoder.Variables(), m.Prior.Variables()...) {
		same(v.Path(), old[v.Path()])
	}
	for name, vars := range map[string][]string{"generator": paths(m.Decoder.Variables()), "prior": paths(m.Prior.Variables())} {
		for i, p := range vars {
			dir, base := filepath.Split(p)
			same(filepath.Join("/adam_"+name, dir, base+"_1st_moment"), old[fmt.Sprintf("/optim/%s/m%d", name, i)])
			same(filepath.Join("/adam_"+name, dir, base+"_2nd_moment"), old[fmt.Sprintf("/optim/%s/v%d", name, i)])
		}
	}
	same("/decoder/adam_generator/step", []float32{2})
	same("/prior/adam_prior/step", []float32{2})
	if st.Step != 2 {
		t.Fatalf("trainer state at step %d, want 2", st.Step)
	}
	trainOn(t, m, st)
	same("/decoder/adam_generator/step", []float32{3})
}

// trainOn runs one more learning iteration of a loaded model on the embedded corpus, from its state st.
func trainOn(t *testing.T, m *Model, st TrainState) {
	t.Helper()
	ds, err := Encode(corpora.Embedded(EmbeddedSeed), m.Vocab, m.Config.MaxLen, "train")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, ds, &st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}
}

func paths(vars []*model.Variable) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Path()
	}
	return out
}

// TestLoadsV0282Checkpoint: testdata/v0282run is a run written by lebm on GoMLX v0.28.2 with compute
// v0.1.2 (commit 18b2812, the last before the move to v0.28.16: `lebm train --iterations 2 --embed 8
// --hidden 8 --z 4 --ebm-width 8 --encoder-hidden 8`, the embedded preset with its inference network). It
// loads; `lebm eval --max-sentences 20` of that commit printed NLL 29.67401147755218 and recon
// 29.672784544281747 nats, and the same evaluation (same seeds, so the same random numbers) agrees here
// up to float32 rounding; and it trains on from step 2 (GoMLX's Adam step counters 2 -> 3).
func TestLoadsV0282Checkpoint(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, info, st, _, err := Load(backend, filepath.Join("testdata", "v0282run"))
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := LoadSplit(info.Data, "", m.Vocab, corpora.Whole, "test")
	if err != nil {
		t.Fatal(err)
	}
	ec := DefaultEvalConfig(m.Config)
	ec.MaxSentences = 20
	res, err := m.Evaluate(test, "test", ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"NLL", res.NLL, 29.67401147755218}, {"recon", res.Recon, 29.672784544281747}} {
		if !(math.Abs(c.got-c.want) <= 1e-5*c.want) { // NaN fails too
			t.Errorf("%s %.9f, v0.28.2 printed %.9f", c.name, c.got, c.want)
		}
	}
	adamSteps := func(want float32) {
		t.Helper()
		for _, path := range []string{"/decoder/adam_generator/step", "/prior/adam_prior/step"} {
			v := m.Ctx.Store().GetVariable(path)
			if v == nil {
				t.Fatalf("model has no variable %s", path)
			}
			if got := tensors.MustCopyFlatData[float32](v.MustValue())[0]; got != want {
				t.Fatalf("%s = %v, want %v", path, got, want)
			}
		}
	}
	if st.Step != 2 {
		t.Fatalf("loaded at trainer step %d, want 2", st.Step)
	}
	adamSteps(2)
	trainOn(t, m, st)
	adamSteps(3)
}
