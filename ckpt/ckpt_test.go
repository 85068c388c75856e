package ckpt

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func newCtx(vals []float32) *model.Scope {
	scope := model.NewStore().RootScope()
	scope.At("m").VariableWithValue("w", tensors.FromFlatDataAndDimensions(vals, 2, 2))
	return scope
}

func TestSaveLoadAndLatest(t *testing.T) {
	run := t.TempDir()
	for step := 1; step <= 4; step++ {
		v := float32(step)
		if _, err := Save(run, step, newCtx([]float32{v, v, v, v}), map[string][]byte{"x.json": []byte("{}")}, 2); err != nil {
			t.Fatal(err)
		}
	}
	dir, step, err := Open(run)
	if err != nil || step != 4 || filepath.Base(dir) != "step-00000004" {
		t.Fatalf("latest: %s %d %v", dir, step, err)
	}
	entries, _ := os.ReadDir(run)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "step-") {
			n++
		}
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Fatalf("temporary left behind: %s", e.Name())
		}
	}
	if n != 2 {
		t.Fatalf("kept %d checkpoints, want 2", n)
	}
	scope := newCtx(make([]float32, 4))
	if err := LoadVariables(dir, scope, Legacy{}); err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](scope.At("m").GetVariable("w").MustValue())
	if got[0] != 4 {
		t.Fatalf("loaded %v", got)
	}
	// Shape mismatch is reported.
	bad := model.NewStore().RootScope()
	bad.At("m").VariableWithValue("w", tensors.FromFlatDataAndDimensions(make([]float32, 3), 3))
	if err := LoadVariables(dir, bad, Legacy{}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("want shape error, got %v", err)
	}
	// A file with variables the model lacks (another configuration) is refused, naming them.
	if err := LoadVariables(dir, model.NewStore().RootScope(), Legacy{}); err == nil || !strings.Contains(err.Error(), "/m/w") {
		t.Fatalf("want an error naming the extra variable /m/w, got %v", err)
	}
}

func TestDamagedCheckpointDetected(t *testing.T) {
	run := t.TempDir()
	dir, err := Save(run, 1, newCtx([]float32{1, 2, 3, 4}), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, VariablesFile)
	data, _ := os.ReadFile(p)
	data[len(data)-1] ^= 0xff
	os.WriteFile(p, data, 0o644)
	if _, _, err := Open(run); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("want damaged error, got %v", err)
	}
}

func TestNonFiniteRefusedAndPreviousKept(t *testing.T) {
	run := t.TempDir()
	if _, err := Save(run, 1, newCtx([]float32{1, 2, 3, 4}), nil, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Save(run, 2, newCtx([]float32{1, float32(math.NaN()), 3, 4}), nil, 0)
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("want refusal, got %v", err)
	}
	if _, step, err := Open(run); err != nil || step != 1 {
		t.Fatalf("previous checkpoint must stay latest: %d %v", step, err)
	}
}

func TestResolveErrors(t *testing.T) {
	if _, err := Resolve(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("missing directory accepted")
	}
	if _, err := Resolve(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Fatalf("empty directory: %v", err)
	}
	// latest missing, naming nothing, or naming a damaged checkpoint: the intact steps are listed.
	run := t.TempDir()
	for step := 1; step <= 2; step++ {
		if _, err := Save(run, step, newCtx([]float32{1, 2, 3, 4}), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	latest := filepath.Join(run, LatestFile)
	for name, damage := range map[string]func(){
		"latest missing":    func() { os.Remove(latest) },
		"latest names none": func() { os.WriteFile(latest, []byte("step-00000009\n"), 0o644) },
		"latest is damaged": func() { os.WriteFile(filepath.Join(run, "step-00000002", VariablesFile), []byte("x"), 0o644) },
	} {
		damage()
		_, _, err := Open(run)
		want := "step-00000001, step-00000002"
		if name == "latest is damaged" {
			want = "the checkpoints step-00000001:"
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--resume "+filepath.Join(run, "step-0000000")) {
			t.Errorf("%s: %v", name, err)
		}
		os.WriteFile(latest, []byte("step-00000002\n"), 0o644)
	}
}

// TestKilledDuringSave: what a process killed in the middle of Save leaves (a half-written temporary
// directory, a half-written temporary "latest") does not affect loading, and the next Save cleans it up.
func TestKilledDuringSave(t *testing.T) {
	run := t.TempDir()
	if _, err := Save(run, 1, newCtx([]float32{1, 2, 3, 4}), nil, 0); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(run, ".tmp-step-00000002-123")
	os.MkdirAll(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, VariablesFile), []byte(magic+"trunc"), 0o644)
	os.WriteFile(filepath.Join(run, ".tmp-latest-456"), []byte("step-0000"), 0o644)
	dir, step, err := Open(run)
	if err != nil || step != 1 {
		t.Fatalf("after a killed save: %s %d %v", dir, step, err)
	}
	if _, err := Save(run, 2, newCtx([]float32{1, 2, 3, 4}), nil, 0); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(run)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Fatalf("stale temporary %s not removed", e.Name())
		}
	}
}

// TestResaveNeverLeavesLatestDangling: saving a step again (after a resume) replaces its directory
// without an instant at which "latest" names a missing checkpoint: by an atomic exchange, and where that
// is unavailable by pointing "latest" at the previous step first (checked at the instant between the
// removal and the rename). The new contents are in place afterwards and no temporary is left.
func TestResaveNeverLeavesLatestDangling(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		run := t.TempDir()
		for step := 1; step <= 2; step++ {
			if _, err := Save(run, step, newCtx([]float32{1, 1, 1, 1}), map[string][]byte{"x.json": []byte("old")}, 0); err != nil {
				t.Fatal(err)
			}
		}
		checked := false
		if fallback {
			exchange = func(a, b string) error { return os.ErrInvalid }
			testHookReplace = func() {
				checked = true
				if dir, _, err := Open(run); err != nil || filepath.Base(dir) != "step-00000001" {
					t.Errorf("between removal and rename: latest resolves to %s (%v), want the complete step-00000001", dir, err)
				}
			}
		}
		_, err := Save(run, 2, newCtx([]float32{2, 2, 2, 2}), map[string][]byte{"x.json": []byte("new")}, 0)
		if fallback {
			exchange, testHookReplace = defaultExchange, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if fallback && !checked {
			t.Error("the fallback path was not taken")
		}
		dir, step, err := Open(run)
		if b, _ := os.ReadFile(filepath.Join(dir, "x.json")); err != nil || step != 2 || string(b) != "new" {
			t.Errorf("fallback %v: after the re-save: %s step %d x.json %q (%v)", fallback, dir, step, b, err)
		}
		entries, _ := os.ReadDir(run)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp") {
				t.Errorf("fallback %v: temporary left behind: %s", fallback, e.Name())
			}
		}
	}
}
