package ckpt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A run never reads or writes outside its directory: the names a run records ("latest", the file names
// of a manifest, the step-N directories) are followed only where they name an entry inside the run, and
// never through a symbolic link. A path the user gives (a run or a step directory, a link included) is used
// as given.

// newSavedRun is a run directory with the checkpoints of steps 1 and 2 ("latest" naming step 2), and a
// directory outside it holding a complete checkpoint of step 3 (whose variables differ), as a place that a
// recorded name might point at.
func newSavedRun(t *testing.T) (run, outside string) {
	t.Helper()
	root := t.TempDir()
	run = filepath.Join(root, "run")
	for step := 1; step <= 2; step++ {
		if _, err := Save(run, step, newCtx([]float32{1, 2, 3, 4}), map[string][]byte{"x.json": []byte("{}")}, 0); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(root, "elsewhere")
	if _, err := Save(other, 3, newCtx([]float32{9, 9, 9, 9}), nil, 0); err != nil {
		t.Fatal(err)
	}
	return run, filepath.Join(other, "step-00000003")
}

// wantErr fails unless err is an error whose text holds every one of want.
func wantErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted, want an error", what)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not name %q", what, err, w)
		}
	}
}

func TestLatestStaysInsideTheRun(t *testing.T) {
	run, outside := newSavedRun(t)
	latest := filepath.Join(run, LatestFile)
	rel, err := filepath.Rel(run, outside)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"relative path out":         rel, // ../elsewhere/step-00000003
		"absolute path":             outside,
		"dot-dot":                   "..",
		"path inside the run":       "./step-00000002",
		"not a step name":           "checkpoint",
		"step name, not as written": "step-2",
	} {
		if err := os.WriteFile(latest, []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, rerr := Resolve(run)
		wantErr(t, name, rerr, latest, content, "step-NNNNNNNN")
		_, _, oerr := Open(run)
		wantErr(t, name+" (Open)", oerr, latest, content)
		if rerr != nil && !strings.Contains(rerr.Error(), "step-00000001, step-00000002") {
			t.Errorf("%s: the run's own checkpoints are not offered: %v", name, rerr)
		}
	}

	// A step directory of the run that is a symbolic link to a checkpoint elsewhere.
	link := filepath.Join(run, "step-00000003")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(latest, []byte("step-00000003\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(run)
	wantErr(t, "symlinked step directory", err, latest, "step-00000003", "symbolic link")
	_, _, err = Open(run)
	wantErr(t, "symlinked step directory (Open)", err, latest, "step-00000003", "symbolic link")
	// It is not a step of the run either: not the newest step, not offered, not pruned.
	if got := NewestStep(run); got != filepath.Join(run, "step-00000002") {
		t.Errorf("NewestStep = %s, want the run's own step-00000002", got)
	}
	if err != nil && strings.Contains(err.Error(), "step-00000002, step-00000003") {
		t.Errorf("the link is offered as a checkpoint: %v", err)
	}
	os.Remove(latest)
	if got := Resumable(run); got != filepath.Join(run, "step-00000002") {
		t.Errorf("Resumable without latest = %s, want the run's own step-00000002", got)
	}
	if _, err := Save(run, 4, newCtx([]float32{1, 2, 3, 4}), nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, ManifestFile)); err != nil {
		t.Errorf("pruning followed the link out of the run: %v", err)
	}

	// "latest" itself a symbolic link (to a file naming a step of the run).
	target := filepath.Join(t.TempDir(), "latest")
	os.WriteFile(target, []byte("step-00000004\n"), 0o644)
	os.Remove(latest)
	if err := os.Symlink(target, latest); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(run)
	wantErr(t, "symlinked latest", err, latest, "symbolic link")
}

func TestNormalRunResolves(t *testing.T) {
	run, _ := newSavedRun(t)
	for _, content := range []string{"step-00000002", "  step-00000002\n\n", "step-00000002\r\n"} {
		os.WriteFile(filepath.Join(run, LatestFile), []byte(content), 0o644)
		dir, step, err := Open(run)
		if err != nil || step != 2 || dir != filepath.Join(run, "step-00000002") {
			t.Errorf("latest %q: %s %d %v", content, dir, step, err)
		}
	}
	// Paths the user gives are used as given, links included.
	links := t.TempDir()
	for _, target := range []string{run, filepath.Join(run, "step-00000001")} {
		link := filepath.Join(links, filepath.Base(target))
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Open(link); err != nil {
			t.Errorf("a link the user made to %s: %v", target, err)
		}
	}
}

// rewriteManifest replaces the manifest of checkpoint dir by edit's change of it.
func rewriteManifest(t *testing.T, dir string, edit func(m *manifest)) {
	t.Helper()
	var m manifest
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestManifestStaysInsideTheCheckpoint(t *testing.T) {
	for _, name := range []string{"../x", "../../x", "/etc/passwd", "sub/x.json", "..", ".", "", `a\b`} {
		run, _ := newSavedRun(t)
		dir := filepath.Join(run, "step-00000002")
		os.WriteFile(filepath.Join(run, "x"), []byte("outside"), 0o644)
		rewriteManifest(t, dir, func(m *manifest) {
			m.Files[name] = "0000000000000000000000000000000000000000000000000000000000000000"
		})
		_, _, err := Open(run)
		wantErr(t, "manifest naming "+name, err, filepath.Join(dir, ManifestFile), strconv.Quote(name), "expected the name of a file in the checkpoint directory")
	}

	// A listed file that is a symbolic link (here to an identical copy outside, so that its hash matches).
	run, outside := newSavedRun(t)
	dir := filepath.Join(run, "step-00000002")
	copyOut := filepath.Join(filepath.Dir(outside), "x.json")
	os.WriteFile(copyOut, []byte("{}"), 0o644)
	os.Remove(filepath.Join(dir, "x.json"))
	if err := os.Symlink(copyOut, filepath.Join(dir, "x.json")); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(run)
	wantErr(t, "manifest listing a link", err, filepath.Join(dir, ManifestFile), filepath.Join(dir, "x.json"), "symbolic link", "regular file")
	// So is the variables file read after Open, even when the manifest does not list it.
	os.Remove(filepath.Join(dir, VariablesFile))
	if err := os.Symlink(filepath.Join(outside, VariablesFile), filepath.Join(dir, VariablesFile)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "variables file a link", LoadVariables(dir, newCtx(make([]float32, 4)), Legacy{}), filepath.Join(dir, VariablesFile), "symbolic link")
	_, err = ReadFloat32s(dir)
	wantErr(t, "variables file a link (ReadFloat32s)", err, filepath.Join(dir, VariablesFile), "symbolic link")

	// And the manifest itself.
	run, outside = newSavedRun(t)
	dir = filepath.Join(run, "step-00000002")
	os.Remove(filepath.Join(dir, ManifestFile))
	if err := os.Symlink(filepath.Join(outside, ManifestFile), filepath.Join(dir, ManifestFile)); err != nil {
		t.Fatal(err)
	}
	_, _, err = Open(dir)
	wantErr(t, "manifest a link", err, filepath.Join(dir, ManifestFile), "symbolic link")
}

// TestLockFileNotFollowed: a run's lock file that is a symbolic link is refused, and the file it points at
// is neither created nor written.
func TestLockFileNotFollowed(t *testing.T) {
	run := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.Symlink(target, filepath.Join(run, LockFile)); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(run, "test")
	if err == nil {
		unlock()
	}
	wantErr(t, "linked lock file", err, filepath.Join(run, LockFile), "symbolic link")
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("Lock created %s through the link", target)
	}
}
