package image

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
)

// TestLoadsV026Checkpoint: testdata/v026run is an image run written by lebm on GoMLX v0.26.0 (commit
// e635aff: `lebm train --family image --ngf 2 --nef 4 --z 2 --iterations 2 --batch 4`). Its variables load
// by name, lebm's old Adam moments become GoMLX Adam's, and it trains on.
func TestLoadsV026Checkpoint(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, _, st, dir, err := Load(backend, filepath.Join("testdata", "v026run"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ckpt.ReadFloat32s(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{}
	for path, data := range recs {
		old[path] = fmt.Sprint(data)
	}
	value := func(path string) string {
		v := m.Ctx.Store().GetVariable(path)
		if v == nil {
			t.Fatalf("model has no variable %s", path)
		}
		return fmt.Sprint(tensors.MustCopyFlatData[float32](v.MustValue()))
	}
	for i, v := range m.Generator.Variables() {
		if value(v.Path()) != old[v.Path()] {
			t.Fatalf("%s differs from the file", v.Path())
		}
		if value("/adam_generator"+v.Path()+"_2nd_moment") != old[fmt.Sprintf("/optim/generator/v%d", i)] {
			t.Fatalf("second moment of %s differs from the file's v%d", v.Path(), i)
		}
	}
	tr, err := NewTrainer(m, corpora.EmbeddedShapes().Train.Slice(0, 16), &st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(); err != nil {
		t.Fatal(err)
	}
	if got := value("/generator/adam_generator/step"); got != "[3]" {
		t.Fatalf("generator Adam step %s after one more iteration, want [3]", got)
	}
}
