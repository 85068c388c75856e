package ckpt

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The variables file: encoding, decoding, and loading into a model (with the Legacy renaming).

// magic begins every variables file.
const magic = "LEBMVARS1\n"

// record is one variable in the variables file. Files written before the move to GoMLX v0.28.2 have only
// float32 variables and no Int64 field (gob leaves it nil).
type record struct {
	Scope, Name string
	Dims        []int
	Data        []float32
	Int64       []int64 // int64 variables (GoMLX's global step counter); Data is then nil
}

func (r record) path() string { return model.JoinPath(r.Scope, r.Name) }

// Legacy says how to read a variables file written by lebm on GoMLX v0.26.0 (README, Checkpoint formats), whose
// optimizer state was lebm's own Adam: Renames maps a variable name in such a file to the model's name
// for it; Absent lists model variables such a file lacks, which keep their initial values (the learning
// rates and GoMLX's global step counter). A file is of that age when it holds a variable under
// LegacyOptimScope.
type Legacy struct {
	Renames map[string]string
	Absent  []string
	Dropped []string // variables of such a file that have no counterpart (and are not read)
}

// LegacyOptimScope is where lebm's own Adam kept its state before the move to GoMLX v0.28.2.
const LegacyOptimScope = "/optim"

// LoadVariables sets every variable of scope's store from dir's variables file. Every variable of the
// store must be present with the same shape and type, and the file must hold no other; a file written before the move to GoMLX v0.28.2
// (see Legacy) is read through legacy's renames.
func LoadVariables(dir string, scope *model.Scope, legacy Legacy) error {
	path := filepath.Join(dir, VariablesFile)
	recs, err := readRecords(path)
	if err != nil {
		return err
	}
	byName := map[string]record{}
	old := false
	for _, r := range recs {
		byName[r.path()] = r
		old = old || r.Scope == LegacyOptimScope || strings.HasPrefix(r.Scope, LegacyOptimScope+"/")
	}
	absent := map[string]bool{}
	if old {
		for from, to := range legacy.Renames {
			r, ok := byName[from]
			if !ok {
				return fmt.Errorf("%s: written by lebm on GoMLX v0.26.0, but optimizer variable %s is missing", path, from)
			}
			delete(byName, from)
			r.Scope, r.Name = model.SplitPath(to)
			byName[to] = r
		}
		for _, a := range legacy.Absent {
			absent[a] = true
		}
		for _, d := range legacy.Dropped {
			delete(byName, d)
		}
	}
	for v := range scope.Store().IterVariables() {
		r, ok := byName[v.Path()]
		if !ok {
			if absent[v.Path()] {
				continue
			}
			if old {
				return fmt.Errorf("%s: written by lebm on GoMLX v0.26.0 and variable %s is missing: this lebm cannot map it; "+
					"evaluate or continue this run with the lebm release it was trained with (commit e635aff)", path, v.Path())
			}
			return fmt.Errorf("%s: variable %s missing", path, v.Path())
		}
		if !equalDims(r.Dims, v.Shape().Dimensions) {
			return fmt.Errorf("%s: variable %s has shape %v, model expects %v", path, v.Path(), r.Dims, v.Shape().Dimensions)
		}
		var t *tensors.Tensor
		switch {
		case v.DType() == dtypes.Float32 && r.Int64 == nil:
			t = tensors.FromFlatDataAndDimensions(r.Data, r.Dims...)
		case v.DType() == dtypes.Int64 && r.Int64 != nil:
			t = tensors.FromFlatDataAndDimensions(r.Int64, r.Dims...)
		default:
			return fmt.Errorf("%s: variable %s has another type in the file than the model's %s", path, v.Path(), v.DType())
		}
		if err := v.SetValue(t); err != nil {
			return err
		}
		delete(byName, v.Path())
	}
	if len(byName) > 0 {
		extra := slices.Sorted(maps.Keys(byName))
		return fmt.Errorf("%s: holds variables the model does not have: %v (a checkpoint of another configuration?)", path, extra)
	}
	return nil
}

// readRecords decodes a variables file, which must be a regular file (not a symbolic link out of the
// checkpoint). Every record is checked against itself: one type of data, as many values as its shape
// holds, and no variable twice. (The decoder allocates no more than the file's size warrants: gob bounds
// every length it reads by the bytes that remain.)
func readRecords(path string) ([]record, error) {
	data, err := readInside(path, 0)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, fmt.Errorf("%s: not a lebm variables file", path)
	}
	var recs []record
	if err := gob.NewDecoder(bytes.NewReader(data[len(magic):])).Decode(&recs); err != nil {
		return nil, fmt.Errorf("%s: corrupt variables file: %w", path, err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%s: corrupt variables file: variable %s %w", path, quoteShort(r.path()), err)
		}
		if seen[r.path()] {
			return nil, fmt.Errorf("%s: corrupt variables file: variable %s appears twice", path, quoteShort(r.path()))
		}
		seen[r.path()] = true
	}
	return recs, nil
}

// check says what is wrong with a decoded record (nil when nothing): data of both types, or a number of
// values other than its shape holds.
func (r record) check() error {
	n := len(r.Data)
	if r.Int64 != nil {
		if r.Data != nil {
			return fmt.Errorf("holds both float32 and int64 values")
		}
		n = len(r.Int64)
	}
	size := 1
	for _, d := range r.Dims {
		if d < 0 || (d > 0 && size > math.MaxInt/d) {
			return fmt.Errorf("has the impossible shape %v", r.Dims)
		}
		size *= d
	}
	if size != n {
		return fmt.Errorf("has shape %v (%d values) but holds %d values", r.Dims, size, n)
	}
	return nil
}

// ReadFloat32s returns the float32 variables of checkpoint dir's variables file as written, by path (no
// renaming), for tools and tests that look inside a checkpoint.
func ReadFloat32s(dir string) (map[string][]float32, error) {
	recs, err := readRecords(filepath.Join(dir, VariablesFile))
	if err != nil {
		return nil, err
	}
	out := map[string][]float32{}
	for _, r := range recs {
		if r.Int64 == nil {
			out[r.path()] = r.Data
		}
	}
	return out, nil
}

func encodeVariables(scope *model.Scope) ([]byte, error) {
	var recs []record
	for v := range scope.Store().IterVariables() {
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		rec := record{Scope: v.Scope(), Name: v.Name(), Dims: v.Shape().Dimensions}
		switch v.DType() {
		case dtypes.Float32:
			rec.Data = tensors.MustCopyFlatData[float32](t)
			for i, x := range rec.Data {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, fmt.Errorf("refusing to checkpoint: variable %s holds %v at index %d", v.Path(), x, i)
				}
			}
		case dtypes.Int64:
			rec.Int64 = tensors.MustCopyFlatData[int64](t)
		default:
			return nil, fmt.Errorf("checkpoint: variable %s has type %s (only float32 and int64 are saved)", v.Path(), v.DType())
		}
		recs = append(recs, rec)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].path() < recs[j].path() })
	var buf bytes.Buffer
	buf.WriteString(magic)
	if err := gob.NewEncoder(&buf).Encode(recs); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func equalDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
