package ckpt

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Finding and verifying a checkpoint: resolving a path, checking the manifest, listing step directories.

// Resolve turns a user-given path (a run directory with "latest", RUN/best for the run's best checkpoint
// by validation NLL, or a checkpoint directory) into the checkpoint directory. The path is used as given (a symbolic link the user made included), but what the
// run records is followed only inside it: "latest" must be a regular file holding the name of a step
// directory as Save writes it (step-NNNNNNNN, surrounding white space aside), which must be a directory of
// the run and not a symbolic link.
func Resolve(path string) (string, error) {
	best, err := resolveBest(path)
	if err != nil {
		return "", err
	}
	if best != "" {
		path = best
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("checkpoint %s: not a directory (expected a run directory or a step-N checkpoint directory)", path)
	}
	if _, err := os.Lstat(filepath.Join(path, ManifestFile)); err == nil {
		return path, nil
	}
	latest := filepath.Join(path, LatestFile)
	b, err := readInside(latest, maxLatestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("checkpoint %s: no %s or %s: not a run directory or checkpoint%s", path, LatestFile, ManifestFile, otherSteps(path, ""))
	}
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w%s", path, err, otherSteps(path, ""))
	}
	name := strings.TrimSpace(string(b))
	if !isStepName(name) {
		return "", fmt.Errorf("checkpoint %s: %s holds %s, expected the name of one of the run's step directories "+
			"(step-NNNNNNNN, without a path)%s", path, latest, quoteShort(name), otherSteps(path, ""))
	}
	dir := filepath.Join(path, name)
	if st, err := os.Lstat(dir); err == nil && !st.IsDir() {
		what := "not a directory"
		if st.Mode()&fs.ModeSymlink != 0 {
			what = "a symbolic link"
		}
		return "", fmt.Errorf("checkpoint %s: %s names %s, which is %s (expected a step directory of the run itself)%s",
			path, latest, name, what, otherSteps(path, ""))
	}
	if _, err := os.Lstat(filepath.Join(dir, ManifestFile)); err != nil {
		return "", fmt.Errorf("checkpoint %s: %s names %s, which is not a complete checkpoint%s", path, LatestFile, dir, otherSteps(path, dir))
	}
	return dir, nil
}

// maxLatestSize bounds what is read of a "latest" file (which holds one step directory name).
const maxLatestSize = 4096

// stepName is the name of the directory of step's checkpoint in a run directory.
func stepName(step int) string { return fmt.Sprintf("step-%08d", step) }

// stepOf is the step a step directory name stands for; ok is false for a name that is not exactly as
// stepName writes it (step- and eight or more digits, no other leading zeros, no path).
func stepOf(name string) (step int, ok bool) {
	digits, found := strings.CutPrefix(name, "step-")
	if !found || len(digits) < 8 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || stepName(n) != name {
		return 0, false
	}
	return n, true
}

func isStepName(name string) bool { _, ok := stepOf(name); return ok }

// isPlainName reports whether name, recorded in a manifest, names a file directly inside the checkpoint
// directory: not empty, "." or "..", no path separator (either kind), not absolute.
func isPlainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) &&
		filepath.IsLocal(name) && filepath.Base(name) == name
}

// quoteShort quotes s for an error message, its first 80 bytes when it is longer.
func quoteShort(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}

// notRegularError is readInside's refusal of an entry that is not a regular file.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	what := "not a regular file"
	switch {
	case e.mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case e.mode.IsDir():
		what = "a directory"
	}
	return fmt.Sprintf("%s is %s, expected a regular file inside the run directory", e.path, what)
}

// ReadInside reads a file of a run (its log, a result): one that is not a regular file, a symbolic link in
// particular, is refused, as for every file a run records.
func ReadInside(path string) ([]byte, error) { return readInside(path, 0) }

// Inside refuses path when it exists and is a symbolic link (it could lead out of the run): a file or
// directory lebm writes inside a run, or reads there by a name it chose.
func Inside(path string) error {
	st, err := os.Lstat(path)
	if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link, expected a file or directory inside the run directory itself", path)
	}
	return nil
}

// readInside reads a file that a run records (not a path the user gave): one that is not a regular file
// (a symbolic link in particular, which could lead out of the run) is refused, and so is a file larger
// than limit bytes (limit <= 0: no limit).
func readInside(path string, limit int64) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &notRegularError{path, st.Mode()}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(st, opened) { // replaced (by a link?) between the check and the open
		return nil, fmt.Errorf("%s changed while it was opened", path)
	}
	if limit > 0 && opened.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d expected", path, opened.Size(), limit)
	}
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if limit > 0 && int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is more than the %d bytes expected", path, limit)
	}
	return data, nil
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
// The manifest and every file it lists must be regular files directly inside the checkpoint directory.
func Open(path string) (dir string, step int, err error) {
	dir, err = Resolve(path)
	if err != nil {
		return "", 0, err
	}
	mpath := filepath.Join(dir, ManifestFile)
	mb, err := readInside(mpath, 0)
	if err != nil {
		return "", 0, fmt.Errorf("checkpoint %s: %w%s", dir, err, otherSteps(filepath.Dir(dir), dir))
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return "", 0, fmt.Errorf("%s: corrupt manifest: %w", mpath, err)
	}
	names := slices.Sorted(maps.Keys(m.Files))
	for _, name := range names {
		if !isPlainName(name) {
			return "", 0, fmt.Errorf("%s: lists %s, expected the name of a file in the checkpoint directory "+
				"(no path separator, not \".\" or \"..\", not absolute)", mpath, quoteShort(name))
		}
	}
	for _, name := range names {
		data, err := readInside(filepath.Join(dir, name), 0)
		if err != nil {
			var nr *notRegularError
			if errors.As(err, &nr) {
				return "", 0, fmt.Errorf("%s: lists %s, but %w", mpath, name, err)
			}
			return "", 0, fmt.Errorf("checkpoint %s: %w%s", dir, err, otherSteps(filepath.Dir(dir), dir))
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != m.Files[name] {
			return "", 0, fmt.Errorf("checkpoint %s: %s is damaged (SHA-256 does not match the manifest)%s", dir, name, otherSteps(filepath.Dir(dir), dir))
		}
	}
	return dir, m.Step, nil
}

// newestBelow is the newest complete checkpoint of runDir before step directory name ("" when there is
// none; names sort as steps).
func newestBelow(runDir, name string) string {
	limit, _ := stepOf(name)
	best := ""
	for _, n := range completeSteps(runDir) {
		if s, _ := stepOf(n); s < limit {
			best = n
		}
	}
	return best
}

// Resumable is the checkpoint a run directory continues from: runDir itself when it has a "latest"
// pointer, else its newest complete step-N directory (NewestStep), else "" (it holds no run).
func Resumable(runDir string) string {
	if _, err := os.Lstat(filepath.Join(runDir, LatestFile)); err == nil {
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

// completeSteps are the names of runDir's step-N directories that hold a manifest (a regular file), in
// step order.
func completeSteps(runDir string) []string {
	var steps []string
	for _, name := range stepDirs(runDir) {
		if st, err := os.Lstat(filepath.Join(runDir, name, ManifestFile)); err == nil && st.Mode().IsRegular() {
			steps = append(steps, name)
		}
	}
	return steps
}

// stepDirs are the names of runDir's step-N directories, complete or not, in step order: the entries
// named as Save names them that are directories. An entry that is a symbolic link (to a directory
// elsewhere, say) is skipped: it is not a checkpoint of the run, and pruning leaves it alone.
func stepDirs(runDir string) []string {
	entries, err := os.ReadDir(runDir)
	if err != nil {
		return nil
	}
	var steps []string
	for _, e := range entries {
		if e.Type().IsDir() && isStepName(e.Name()) { // Type is the entry's own (lstat), never a link's target
			steps = append(steps, e.Name())
		}
	}
	slices.SortFunc(steps, func(a, b string) int {
		sa, _ := stepOf(a)
		sb, _ := stepOf(b)
		return cmp.Compare(sa, sb)
	})
	return steps
}
