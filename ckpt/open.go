package ckpt

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Finding and verifying a checkpoint: resolving a path, checking the manifest, listing step directories.

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
