package ckpt

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// varsHash, in a fuzzed manifest, stands for the SHA-256 of the fuzzed variables file, so that a manifest
// can match it and Open go on to the variables.
const varsHash = "$VARS"

// fuzzScope is a model with a float32 and an int64 variable, as the fuzzed variables are loaded into.
func fuzzScope() *model.Scope {
	scope := model.NewStore().RootScope()
	scope.At("m").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2))
	scope.VariableWithValue("global_step", tensors.FromFlatDataAndDimensions([]int64{7}))
	return scope
}

// FuzzOpen builds a run directory from fuzzed bytes for "latest", a step directory's manifest.json (in
// which "$VARS" stands for the variables file's SHA-256) and its variables.bin, and reads it as eval and
// train --resume do: Open, then the variables (ReadFloat32s, LoadVariables). Nothing may panic, and what
// Open accepts must lie inside the run directory.
func FuzzOpen(f *testing.F) {
	seed := f.TempDir()
	dir, err := Save(seed, 1, fuzzScope(), map[string][]byte{"x.json": []byte("{}")}, 0)
	if err != nil {
		f.Fatal(err)
	}
	vars, _ := os.ReadFile(filepath.Join(dir, VariablesFile))
	sum := sha256.Sum256(vars)
	man, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	man = bytes.ReplaceAll(man, []byte(hex.EncodeToString(sum[:])), []byte(varsHash))
	latest, _ := os.ReadFile(filepath.Join(seed, LatestFile))
	f.Add(latest, man, vars)
	f.Add([]byte("step-00000001"), []byte(`{"step":1,"files":{"variables.bin":"$VARS"}}`), vars)
	f.Add([]byte("step-00000001"), []byte(`{"step":1,"files":{"variables.bin":"$VARS"}}`), vars[:len(vars)/2])
	f.Add([]byte("step-00000001"), []byte(`{"step":1,"files":{"variables.bin":"$VARS"}}`), []byte(magic))
	f.Add([]byte("step-00000001"), []byte(`{"step":1,"files":{"../x":"$VARS"}}`), vars)
	f.Add([]byte("step-00000001"), []byte(`{"step":1,"files":{"/etc/passwd":"$VARS"}}`), vars)
	f.Add([]byte("../step-00000001"), man, vars)
	f.Add([]byte("/tmp/step-00000001"), man, vars)
	f.Add([]byte("step-1"), man, vars)
	f.Add([]byte(""), []byte("{"), []byte(""))
	// Variables files whose records contradict themselves (LoadVariables would build tensors of them),
	// made from the valid one's records (w of shape [2 2], then global_step).
	good, err := readRecords(filepath.Join(dir, VariablesFile))
	if err != nil || len(good) != 2 || good[1].Name != "w" {
		f.Fatalf("seed records %+v: %v", good, err)
	}
	gs, w := good[0], good[1]
	with := func(edit func(r *record)) record { r := w; edit(&r); return r }
	for _, recs := range [][]record{
		{gs, with(func(r *record) { r.Data = r.Data[:3] })},
		{gs, with(func(r *record) { r.Int64 = []int64{1, 2, 3, 4} })},
		{gs, with(func(r *record) { r.Dims = []int{-2, -2} })},
		{gs, with(func(r *record) { r.Dims, r.Data = []int{1 << 62, 1 << 62}, nil })},
		{gs, w, with(func(r *record) { r.Dims, r.Data = []int{1}, []float32{1} })},
	} {
		var buf bytes.Buffer
		buf.WriteString(magic)
		if err := gob.NewEncoder(&buf).Encode(recs); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte("step-00000001\n"), []byte(`{"step":1,"files":{"variables.bin":"$VARS"}}`), buf.Bytes())
	}

	f.Fuzz(func(t *testing.T, latest, man, vars []byte) {
		root := t.TempDir()
		run := filepath.Join(root, "run")
		step := filepath.Join(run, "step-00000001")
		if err := os.MkdirAll(step, 0o755); err != nil {
			t.Fatal(err)
		}
		// Something outside the run, for a recorded name to reach out to.
		os.WriteFile(filepath.Join(root, "x"), vars, 0o644)
		sum := sha256.Sum256(vars)
		man = bytes.ReplaceAll(man, []byte(varsHash), []byte(hex.EncodeToString(sum[:])))
		for name, data := range map[string][]byte{
			filepath.Join(run, LatestFile):     latest,
			filepath.Join(step, ManifestFile):  man,
			filepath.Join(step, VariablesFile): vars,
		} {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// The variables reader, whatever Open says.
		_, _ = readRecords(filepath.Join(step, VariablesFile))
		dir, _, err := Open(run)
		if err != nil {
			return
		}
		if rel, rerr := filepath.Rel(run, dir); rerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Fatalf("Open(%s) accepted %s, outside the run (latest %q)", run, dir, latest)
		}
		if _, err := ReadFloat32s(dir); err != nil {
			return
		}
		_ = LoadVariables(dir, fuzzScope(), Legacy{})
	})
}
