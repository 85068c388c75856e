package ckpt

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// Writing a checkpoint: the atomic step directory, the "latest" pointer, and pruning of old steps.

const (
	// LatestFile names the newest complete checkpoint of a run directory.
	LatestFile = "latest"
	// VariablesFile holds the model and optimizer variables.
	VariablesFile = "variables.bin"
	// ManifestFile lists the files of a checkpoint with their SHA-256.
	ManifestFile = "manifest.json"
)

type manifest struct {
	Step  int               `json:"step"`
	Files map[string]string `json:"files"` // name -> sha256
}

// Save writes a checkpoint of step into runDir: the variables of scope's store plus the given extra files (name -> bytes),
// and keeps the newest keep checkpoints (keep <= 0 keeps all). It returns the checkpoint's directory.
func Save(runDir string, step int, scope *model.Scope, files map[string][]byte, keep int) (string, error) {
	if step < 0 {
		return "", fmt.Errorf("checkpoint of step %d: a step is not negative", step)
	}
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
	name := stepName(step)
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
	Prune(runDir, keep, name)
	return final, nil
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

// WriteAtomic replaces path with data (mode 0644) through a synced temporary file and a rename.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	name := tmp.Name()
	werr := tmp.Chmod(0o644) // as os.WriteFile would leave it under the usual umask (CreateTemp makes 0600)
	if werr == nil {
		_, werr = tmp.Write(data)
	}
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
	if _, err := os.Lstat(final); os.IsNotExist(err) {
		return os.Rename(tmp, final)
	}
	if err := exchange(tmp, final); err == nil {
		return nil
	}
	if b, err := readInside(filepath.Join(runDir, LatestFile), maxLatestSize); err == nil && strings.TrimSpace(string(b)) == name {
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

// Prune removes runDir's oldest step directories (stepDirs: never a symbolic link, nor what it points at)
// but the newest keep (keep <= 0: it removes none), and never current nor the run's best (BestFile).
func Prune(runDir string, keep int, current string) {
	if keep <= 0 {
		return
	}
	steps := stepDirs(runDir)
	best, _, _ := ReadBest(runDir)
	for i := 0; i < len(steps)-keep; i++ {
		if steps[i] != current && steps[i] != best.Checkpoint {
			_ = os.RemoveAll(filepath.Join(runDir, steps[i]))
		}
	}
}
