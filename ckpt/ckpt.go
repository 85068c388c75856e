package ckpt

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

const (
	// LatestFile names the newest complete checkpoint of a run directory.
	LatestFile = "latest"
	// VariablesFile holds the model and optimizer variables.
	VariablesFile = "variables.bin"
	// ManifestFile lists the files of a checkpoint with their SHA-256.
	ManifestFile = "manifest.json"
	magic        = "LEBMVARS1\n"
)

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

type manifest struct {
	Step  int               `json:"step"`
	Files map[string]string `json:"files"` // name -> sha256
}

// Save writes a checkpoint of step into runDir: the variables of scope's store plus the given extra files (name -> bytes),
// and keeps the newest keep checkpoints (keep <= 0 keeps all). It returns the checkpoint's directory.
func Save(runDir string, step int, scope *model.Scope, files map[string][]byte, keep int) (string, error) {
	vars, err := encodeVariables(scope)
	if err != nil {
		return "", err
	}
	all := map[string][]byte{VariablesFile: vars}
	for k, v := range files {
		all[k] = v
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return "", err
	}
	removeStaleTemporaries(runDir)
	name := fmt.Sprintf("step-%08d", step)
	final := filepath.Join(runDir, name)
	tmp, err := os.MkdirTemp(runDir, ".tmp-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	m := manifest{Step: step, Files: map[string]string{}}
	for k, data := range all {
		if err := writeSynced(filepath.Join(tmp, k), data); err != nil {
			return "", err
		}
		sum := sha256.Sum256(data)
		m.Files[k] = hex.EncodeToString(sum[:])
	}
	mb, _ := json.MarshalIndent(m, "", " ")
	if err := writeSynced(filepath.Join(tmp, ManifestFile), mb); err != nil {
		return "", err
	}
	if err := replaceDir(runDir, tmp, name); err != nil {
		return "", err
	}
	syncDir(runDir)
	if err := WriteAtomic(filepath.Join(runDir, LatestFile), []byte(name+"\n")); err != nil {
		return "", err
	}
	if keep > 0 {
		prune(runDir, keep, name)
	}
	return final, nil
}

// Resolve turns a user-given path (a run directory with "latest", or a checkpoint directory) into the
// checkpoint directory.
func Resolve(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("checkpoint %s: not a directory (expected a run directory or a step-N checkpoint directory)", path)
	}
	if _, err := os.Stat(filepath.Join(path, ManifestFile)); err == nil {
		return path, nil
	}
	b, err := os.ReadFile(filepath.Join(path, LatestFile))
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: no %s or %s: not a run directory or checkpoint%s", path, LatestFile, ManifestFile, otherSteps(path, ""))
	}
	dir := filepath.Join(path, strings.TrimSpace(string(b)))
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		return "", fmt.Errorf("checkpoint %s: %s names %s, which is not a complete checkpoint%s", path, LatestFile, dir, otherSteps(path, dir))
	}
	return dir, nil
}

// otherSteps lists, for an error about runDir's latest checkpoint, the other complete step-N checkpoints
// of the run and how to use one ("" when there are none).
func otherSteps(runDir, except string) string {
	var steps []string
	for _, n := range completeSteps(runDir) {
		if filepath.Join(runDir, n) != except {
			steps = append(steps, n)
		}
	}
	if len(steps) == 0 {
		return ""
	}
	newest := filepath.Join(runDir, steps[len(steps)-1])
	return fmt.Sprintf("; the run holds the checkpoints %s: give one of them instead (e.g. lebm eval %s, lebm train --resume %s)",
		strings.Join(steps, ", "), newest, newest)
}

// Open resolves path, verifies every file against the manifest and returns the checkpoint directory and step.
func Open(path string) (dir string, step int, err error) {
	dir, err = Resolve(path)
	if err != nil {
		return "", 0, err
	}
	mb, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return "", 0, err
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return "", 0, fmt.Errorf("%s: corrupt manifest: %w", filepath.Join(dir, ManifestFile), err)
	}
	for name, want := range m.Files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", 0, fmt.Errorf("checkpoint %s: %w%s", dir, err, otherSteps(filepath.Dir(dir), dir))
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != want {
			return "", 0, fmt.Errorf("checkpoint %s: %s is damaged (SHA-256 does not match the manifest)%s", dir, name, otherSteps(filepath.Dir(dir), dir))
		}
	}
	return dir, m.Step, nil
}

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

// readRecords decodes a variables file.
func readRecords(path string) ([]record, error) {
	data, err := os.ReadFile(path)
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
	return recs, nil
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

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteAtomic replaces path with data through a synced temporary file and a rename.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(name)
		return werr
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// testHookReplace, when set (tests only), runs at the instant replaceDir has moved an existing checkpoint
// out of the way and not yet put the new one in its place.
var testHookReplace func()

// replaceDir puts the complete checkpoint directory tmp at runDir/name. When a checkpoint of that name
// exists (the same step saved again, e.g. after a resume), the two directories are exchanged atomically
// (Linux renameat2 RENAME_EXCHANGE: runDir/name is complete at every instant) and the old one, now at
// tmp, is left for the caller's cleanup. Where the exchange is not supported, "latest" is first pointed at
// the newest complete checkpoint before this one (if it named this one), so that it does not name a
// missing directory while the old one is removed and the new one renamed into place; when there is no
// earlier checkpoint, that instant remains.
func replaceDir(runDir, tmp, name string) error {
	final := filepath.Join(runDir, name)
	if _, err := os.Stat(final); os.IsNotExist(err) {
		return os.Rename(tmp, final)
	}
	if err := exchange(tmp, final); err == nil {
		return nil
	}
	if b, err := os.ReadFile(filepath.Join(runDir, LatestFile)); err == nil && strings.TrimSpace(string(b)) == name {
		if other := newestBelow(runDir, name); other != "" {
			if err := WriteAtomic(filepath.Join(runDir, LatestFile), []byte(other+"\n")); err != nil {
				return err
			}
		}
	}
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if testHookReplace != nil {
		testHookReplace()
	}
	return os.Rename(tmp, final)
}

// newestBelow is the newest complete checkpoint of runDir before step directory name ("" when there is
// none; names sort as steps).
func newestBelow(runDir, name string) string {
	best := ""
	for _, n := range completeSteps(runDir) {
		if n < name {
			best = n
		}
	}
	return best
}

// Resumable is the checkpoint a run directory continues from: runDir itself when it has a "latest"
// pointer, else its newest complete step-N directory (NewestStep), else "" (it holds no run).
func Resumable(runDir string) string {
	if _, err := os.Stat(filepath.Join(runDir, LatestFile)); err == nil {
		return runDir
	}
	return NewestStep(runDir)
}

// NewestStep is the newest complete step-N checkpoint directory of runDir ("" when there is none), for a
// run whose "latest" is missing (a process killed before it wrote the first one).
func NewestStep(runDir string) string {
	steps := completeSteps(runDir)
	if len(steps) == 0 {
		return ""
	}
	return filepath.Join(runDir, steps[len(steps)-1])
}

// completeSteps are the names of runDir's step-N directories that hold a manifest, in step order.
func completeSteps(runDir string) []string {
	var steps []string
	for _, name := range stepDirs(runDir) {
		if _, err := os.Stat(filepath.Join(runDir, name, ManifestFile)); err == nil {
			steps = append(steps, name)
		}
	}
	return steps
}

// stepDirs are the names of runDir's step-N directories, complete or not, in step order (the zero-padded
// names sort as their steps).
func stepDirs(runDir string) []string {
	entries, err := os.ReadDir(runDir)
	if err != nil {
		return nil
	}
	var steps []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "step-") {
			steps = append(steps, e.Name())
		}
	}
	sort.Strings(steps)
	return steps
}

// removeStaleTemporaries deletes what a process killed in the middle of Save left behind.
func removeStaleTemporaries(runDir string) {
	entries, err := os.ReadDir(runDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			_ = os.RemoveAll(filepath.Join(runDir, e.Name()))
		}
	}
}

func prune(runDir string, keep int, current string) {
	steps := stepDirs(runDir)
	for i := 0; i < len(steps)-keep; i++ {
		if steps[i] != current {
			_ = os.RemoveAll(filepath.Join(runDir, steps[i]))
		}
	}
}

// ReadJSON decodes the JSON file at path into v; a decoding error names the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: invalid JSON: %w", path, err)
	}
	return nil
}

// Files every model checkpoint holds besides the variables: the hyperparameters and run information,
// and the trainer's state.
const (
	HParamsFile = "hparams.json"
	StateFile   = "state.json"
)

// SaveRun writes a model checkpoint of step into runDir (Save): the variables of scope's store, info as
// hparams.json, state as state.json, and the extra files; it keeps the newest keep checkpoints.
func SaveRun(runDir string, step int, scope *model.Scope, info, state any, extra map[string][]byte, keep int) (string, error) {
	hp, err := json.MarshalIndent(info, "", " ")
	if err != nil {
		return "", err
	}
	st, err := json.MarshalIndent(state, "", " ")
	if err != nil {
		return "", err
	}
	files := map[string][]byte{HParamsFile: hp, StateFile: st}
	maps.Copy(files, extra)
	return Save(runDir, step, scope, files, keep)
}

// ReadRun decodes the hparams.json and state.json of a checkpoint directory that Open has verified.
func ReadRun(dir string, info, state any) error {
	if err := ReadJSON(filepath.Join(dir, HParamsFile), info); err != nil {
		return err
	}
	return ReadJSON(filepath.Join(dir, StateFile), state)
}

// FamilyText is the family of checkpoints whose hparams.json names none (the oldest text checkpoints).
const FamilyText = "text"

// Family reads the generator family a verified checkpoint directory names in its hparams.json ("family";
// text when absent).
func Family(dir string) (string, error) {
	var probe struct {
		Family string `json:"family"`
	}
	if err := ReadJSON(filepath.Join(dir, HParamsFile), &probe); err != nil {
		return "", err
	}
	return familyOf(probe.Family), nil
}

// familyOf is the family an hparams.json "family" field names (text when empty).
func familyOf(recorded string) string {
	if recorded == "" {
		return FamilyText
	}
	return recorded
}

// CheckFamily refuses a checkpoint directory whose recorded family (its hparams.json field, empty in the oldest
// text checkpoints) is not want.
func CheckFamily(dir, recorded, want string) error {
	if fam := familyOf(recorded); fam != want {
		return fmt.Errorf("checkpoint %s holds a %q model, not a %q model", dir, fam, want)
	}
	return nil
}
