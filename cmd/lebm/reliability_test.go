package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/cli"
	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/learn"
)

// tinyText trains a small text run through the command line and returns its directory.
func tinyText(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run")
	if _, err := lebm(t, cli.Standard(), "train", "--embed", "8", "--hidden", "16", "--z", "4", "--ebm-width", "8", "--k0", "2", "--k1", "2",
		"--iterations", "2", "--no-eval", "--quiet", "--out", out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRefusals: what the README's reliability table promises to refuse is refused by the command line,
// with a message naming the flag (or file) and what was expected, before anything is created. Sizes no
// machine can hold are refused with the memory they would need instead of crashing the process.
func TestRefusals(t *testing.T) {
	if have, _ := learn.MachineMemory(); have == 0 {
		t.Skip("the machine's memory is unknown here (no /proc/meminfo): sizes are not checked")
	}
	run := tinyText(t)
	dir := t.TempDir()
	sentences := filepath.Join(dir, "sentences.txt")
	if err := os.WriteFile(sentences, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		// Sizes: estimated before allocating.
		{[]string{"train", "--z", "1000000000"}, "needs about"},
		{[]string{"train", "--ebm-width", "1000000000"}, "needs about"},
		{[]string{"train", "--batch", "1000000000"}, "needs about"},
		{[]string{"train", "--k0", "1000000000"}, "needs about"},
		{[]string{"train", "--k1", "1000000000"}, "needs about"},
		{[]string{"train", "--family", "image", "--ngf", "1000000"}, "needs about"},
		{[]string{"sample", run, "-n", "1000000000"}, "1000000000 sampled sentences (-n 1000000000) needs about"},
		{[]string{"reconstruct", run, sentences, "--chains", "1000000000"}, "--chains 1000000000"},
		{[]string{"interpolate", run, "a b", "c d", "--points", "1000000000"}, "--points 1000000000 decoded at once"},
		{[]string{"eval", run, "--chains", "100000000", "--rows", "100000000"}, "needs about"},
		// Real values: finite in float32, named.
		{[]string{"train", "--s0", "1e300"}, "--s0 must be a step size positive and finite in float32"},
		{[]string{"train", "--s1", "1e300"}, "--s1 must be a step size positive and finite in float32"},
		{[]string{"train", "--lr-gen", "1e300"}, "--lr-gen must be positive and finite in float32"},
		{[]string{"train", "--lr-prior", "NaN"}, "--lr-prior must be 0 (a fixed prior) or positive"},
		{[]string{"eval", run, "--sigma-floor", "NaN"}, "--sigma-floor must be positive and finite in float32"},
		{[]string{"eval", run, "--generation", "--gen-temperature", "NaN"}, "--gen-temperature must be positive and finite"},
		{[]string{"sample", run, "--decode", "sample", "--temperature", "1e-300"}, "--temperature must be positive and finite"},
		// One validation for every command.
		{[]string{"lm", "train", "--iterations", "-1"}, "--iterations must be 0 or more, got -1"},
		{[]string{"lm", "train", "--vocab-size", "-1"}, "--vocab-size must be 0 (no limit) or more than the 4 special tokens, got -1"},
		{[]string{"lm", "train", "--lr", "NaN"}, "--lr must be positive and finite in float32, got NaN"},
		{[]string{"lm", "train", "--batch", "4001", "--iterations", "1"}, "--batch 4001 is larger than the training set (4000 sentences)"},
		{[]string{"eval", run, "--logz-samples", "100000000000"}, "--logz-samples 100000000000 (samples of N(0, I) for log Z) needs about"},
		{[]string{"eval", run, "--generation", "--gen-samples", "1000000000"}, "1000000000 sampled sentences"},
		{[]string{"reconstruct", run, sentences, "--max-words", "1000000000000"}, "--max-words"},
		{[]string{"train", "--k1-warmup", "1000000000", "--k1-warmup-iters", "5"}, "--k1-warmup 1000000000, --z 32"},
		{[]string{"train", "--eval-chains", "1"}, "--eval-chains must be at least 2"},
		{[]string{"train", "--eval-sentences", "-1"}, "--eval-sentences must be 0 (all) or more"},
		{[]string{"reconstruct", run, sentences, "--chains", "0"}, "--chains must be at least 1, got 0"},
		{[]string{"sweep", "--setting", "a|b=--k1 2"}, `its NAME holds "|"`},
		{[]string{"sweep", "--setting", "a=--k1 2", "--max-time", "-5s"}, "--max-time must be a positive duration"},
		{[]string{"sweep", "--setting", "new\nline=--k1 2"}, `its NAME holds "\n" at byte 3`},
		{[]string{"train", "--batch", "4001", "--iterations", "1", "--no-eval"}, "--batch 4001 is larger than the training set (4000 sentences)"},
		{[]string{"train", "--family", "image", "--hold-out", "99", "--iterations", "1", "--no-eval"}, "--hold-out 99: no training image of"},
	} {
		out := filepath.Join(dir, "out")
		args := c.args
		switch args[0] {
		case "train", "sweep":
			args = append(append([]string{}, args...), "--out", out)
		case "lm":
			args = append(append([]string{}, args...), "--out", out)
		}
		_, err := lebm(t, cli.Standard(), args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lebm %q: %v, want an error containing %q", c.args, err, c.want)
			continue
		}
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			t.Errorf("lebm %q was refused but wrote %d entries into %s", c.args, len(entries), out)
		}
		if args[0] == "train" {
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("lebm %q was refused but left %s behind", c.args, out)
			}
		}
		os.RemoveAll(out)
	}
}

// TestEditedCheckpointSizeIsRefused: a checkpoint whose hyperparameters were edited to an impossible
// size (the manifest re-hashed, so the files verify) is refused from hparams.json with the memory it
// would need, before the model is allocated.
func TestEditedCheckpointSizeIsRefused(t *testing.T) {
	if have, _ := learn.MachineMemory(); have == 0 {
		t.Skip("the machine's memory is unknown here")
	}
	run := tinyText(t)
	step, err := ckpt.Resolve(run)
	if err != nil {
		t.Fatal(err)
	}
	hp := filepath.Join(step, ckpt.HParamsFile)
	var info map[string]any
	b, _ := os.ReadFile(hp)
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	info["config"].(map[string]any)["hidden_dim"] = 1e9
	b, _ = json.Marshal(info)
	if err := os.WriteFile(hp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var man struct {
		Step  int               `json:"step"`
		Files map[string]string `json:"files"`
	}
	mb, _ := os.ReadFile(filepath.Join(step, ckpt.ManifestFile))
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	man.Files[ckpt.HParamsFile] = hex.EncodeToString(sum[:])
	mb, _ = json.Marshal(man)
	if err := os.WriteFile(filepath.Join(step, ckpt.ManifestFile), mb, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"eval", "sample"} {
		_, err := lebm(t, cli.Standard(), cmd, run)
		if err == nil || !strings.Contains(err.Error(), ckpt.HParamsFile) || !strings.Contains(err.Error(), "--hidden 1000000000") ||
			!strings.Contains(err.Error(), "needs about") {
			t.Errorf("%s of a checkpoint edited to hidden_dim 1e9: %v", cmd, err)
		}
	}
}

// TestExportImportThroughTheCommands: a run exported and imported by the commands evaluates to the same
// NLL as the run itself; the imported run serves sample, reconstruct, interpolate, plot and eval
// --generation; train --resume refuses it, saying why.
func TestExportImportThroughTheCommands(t *testing.T) {
	reg, dir := cli.Standard(), t.TempDir()
	run := tinyText(t)
	exported, imported := filepath.Join(dir, "export"), filepath.Join(dir, "imported")
	if _, err := lebm(t, reg, "export", run, "--out", exported); err != nil {
		t.Fatal(err)
	}
	if _, err := lebm(t, reg, "import", exported, "--out", imported); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"model.safetensors", "config.json", "tokenizer.json"} {
		if st, err := os.Stat(filepath.Join(exported, name)); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("exported %s: %v, mode %v (want 0644: an export is to be shared)", name, err, st.Mode().Perm())
		}
	}
	// The run learned the embedded corpus, which its export does not record: the imported run is not
	// evaluated on the demo corpus by default, but on the corpus given (here the same, written out).
	if _, err := lebm(t, reg, "eval", imported, "--quiet"); err == nil || !strings.Contains(err.Error(), "give --data DIR") {
		t.Errorf("eval of an imported run without a corpus: %v", err)
	}
	corpus := clitest.WriteCorpus(t, 0)
	nll := func(path string) float64 {
		var rep struct {
			NLL    float64 `json:"nll"`
			Corpus string  `json:"corpus"`
		}
		mustJSON(t, reg, &rep, "eval", path, "--data", corpus, "--json", "--quiet", "--max-sentences", "20", "--chains", "4", "--samples", "8", "--logz-samples", "1000")
		if rep.Corpus != corpus {
			t.Errorf("the evaluation of %s names the corpus %q, want %q", path, rep.Corpus, corpus)
		}
		return rep.NLL
	}
	if a, b := nll(run), nll(imported); a != b {
		t.Errorf("NLL %v of the run, %v of its export imported", a, b)
	}
	sentences := filepath.Join(dir, "s.txt")
	os.WriteFile(sentences, []byte("a b\n"), 0o644)
	for _, args := range [][]string{
		{"sample", imported, "-n", "3"},
		{"reconstruct", imported, sentences, "--chains", "2"},
		{"interpolate", imported, "a b", "c d", "--points", "3"},
		{"plot", imported, "--out", filepath.Join(dir, "pics"), "--sentences", "10", "--chains", "2"},
		{"eval", imported, "--data", corpus, "--generation", "--gen-samples", "20", "--lm-iterations", "2", "--max-sentences", "10", "--chains", "2", "--samples", "4", "--logz-samples", "100", "--quiet"},
	} {
		if _, err := lebm(t, reg, args...); err != nil {
			t.Errorf("lebm %q on the imported run: %v", args, err)
		}
	}
	if _, err := lebm(t, reg, "train", "--resume", imported); err == nil || !strings.Contains(err.Error(), "cannot be resumed") {
		t.Errorf("train --resume of an imported run: %v", err)
	}
	if _, err := lebm(t, reg, "export", run, "--out", exported); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("export into a non-empty directory: %v", err)
	}
}

// TestImportChecksItsData: an imported image model whose layout is not the embedded shapes' needs --data
// (and an unreadable --data is refused) at import, not at the first eval; so are an export whose config
// names no family or an unknown one, whose shapes do not fit its config, or whose safetensors file is
// damaged, and an --out that holds something; a refused import leaves no directory behind. Imported, the
// image run evaluates as the run itself, serves sample, reconstruct and interpolate, and is not resumed.
func TestImportChecksItsData(t *testing.T) {
	reg, dir := cli.Standard(), t.TempDir()
	img := filepath.Join(dir, "img")
	if _, err := lebm(t, reg, "train", "--family", "image", "--iterations", "1", "--no-eval", "--quiet", "--out", img); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(dir, "export")
	if _, err := lebm(t, reg, "export", img, "--out", exported); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "mnist"}, "--format mnist needs --data"},
		{[]string{"--data", filepath.Join(dir, "none")}, "--data"},
		{[]string{"--format", "bogus", "--data", dir}, "bogus"},
	} {
		out := filepath.Join(dir, "imported")
		args := append([]string{"import", exported, "--out", out}, c.args...)
		if _, err := lebm(t, reg, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lebm %q: %v, want an error containing %q", args, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("lebm %q was refused but left %s behind", args, out)
		}
	}
	edited := func(name string, edit func(config map[string]any, weights []byte) []byte) string {
		d := filepath.Join(dir, name)
		if err := os.CopyFS(d, os.DirFS(exported)); err != nil {
			t.Fatal(err)
		}
		var config map[string]any
		b, err := os.ReadFile(filepath.Join(d, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &config); err != nil {
			t.Fatal(err)
		}
		weights, err := os.ReadFile(filepath.Join(d, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		weights = edit(config, weights)
		if b, err = json.Marshal(config); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "config.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "model.safetensors"), weights, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		name string
		edit func(map[string]any, []byte) []byte
		want string
	}{
		{"no-family", func(c map[string]any, w []byte) []byte { delete(c, "family"); return w }, "family"},
		{"unknown-family", func(c map[string]any, w []byte) []byte { c["family"] = "audio"; return w }, "audio"},
		{"other-shapes", func(c map[string]any, w []byte) []byte { c["ngf"] = c["ngf"].(float64) + 1; return w }, "generator.layers.0.weight"},
		{"damaged-weights", func(c map[string]any, w []byte) []byte { return w[:len(w)/2] }, "model.safetensors"},
	} {
		out := filepath.Join(dir, "imported")
		if _, err := lebm(t, reg, "import", edited(c.name, c.edit), "--out", out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import of an export with %s: %v, want an error containing %q", c.name, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("the import of an export with %s was refused but left %s behind", c.name, out)
		}
	}
	imported := filepath.Join(dir, "imported")
	if _, err := lebm(t, reg, "import", exported, "--out", imported); err != nil {
		t.Fatal(err)
	}
	if _, err := lebm(t, reg, "import", exported, "--out", imported); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("import into a run directory that holds a run: %v", err)
	}
	mse := func(path string) float64 {
		var rep struct {
			Recon struct {
				MSE float64 `json:"mse"`
			} `json:"reconstruction"`
		}
		mustJSON(t, reg, &rep, "eval", path, "--json", "--quiet", "--images", "20", "--chains", "2")
		return rep.Recon.MSE
	}
	if a, b := mse(img), mse(imported); a != b || !(a > 0) {
		t.Errorf("reconstruction MSE %v of the run, %v of its export imported", a, b)
	}
	for _, args := range [][]string{
		{"sample", imported, "-n", "4", "--out", filepath.Join(dir, "s.png")},
		{"reconstruct", imported, "--images", "4", "--chains", "2", "--out", filepath.Join(dir, "r.png")},
		{"interpolate", imported, "0", "1", "--points", "3", "--out", filepath.Join(dir, "i.png")},
	} {
		if _, err := lebm(t, reg, args...); err != nil {
			t.Errorf("lebm %q on the imported image run: %v", args, err)
		}
	}
	if _, err := lebm(t, reg, "train", "--resume", imported); err == nil || !strings.Contains(err.Error(), "cannot be resumed") {
		t.Errorf("train --resume of an imported image run: %v", err)
	}
}

// TestRunFilesAreNotFollowed: a run's log.jsonl or plots directory that is a symbolic link (to somewhere
// outside the run) is refused by train --resume and plot, which write nothing there; an image run's
// interpolation and grids are sized before they are drawn.
func TestRunFilesAreNotFollowed(t *testing.T) {
	reg, dir := cli.Standard(), t.TempDir()
	run := tinyText(t)
	outside := filepath.Join(dir, "outside.jsonl")
	if err := os.WriteFile(outside, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(run, "log.jsonl")
	saved, _ := os.ReadFile(log)
	os.Remove(log)
	if err := os.Symlink(outside, log); err != nil {
		t.Fatal(err)
	}
	if _, err := lebm(t, reg, "train", "--resume", run, "--iterations", "4", "--quiet", "--no-eval"); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("train --resume with a linked log.jsonl: %v", err)
	}
	if _, err := lebm(t, reg, "plot", run, "--sentences", "4", "--chains", "2"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("plot with a linked log.jsonl: %v", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "{}\n" {
		t.Errorf("the file outside the run was changed: %q", b)
	}
	os.Remove(log)
	os.WriteFile(log, saved, 0o644)
	if err := os.Symlink(dir, filepath.Join(run, "plots")); err != nil {
		t.Fatal(err)
	}
	if _, err := lebm(t, reg, "plot", run, "--sentences", "4", "--chains", "2"); err == nil || !strings.Contains(err.Error(), "plots is a symbolic link") {
		t.Errorf("plot with a linked plots directory: %v", err)
	}
	img := filepath.Join(dir, "img")
	if _, err := lebm(t, reg, "train", "--family", "image", "--iterations", "1", "--no-eval", "--quiet", "--out", img); err != nil {
		t.Fatal(err)
	}
	if _, err := lebm(t, reg, "interpolate", img, "0", "1", "--points", "1000000000", "--out", filepath.Join(dir, "i.png")); err == nil ||
		!strings.Contains(err.Error(), "--points 1000000000 generated at once") {
		t.Errorf("image interpolate --points 1e9: %v", err)
	}
	if _, err := lebm(t, reg, "sample", img, "-n", "4", "--cols", "1000000000", "--out", filepath.Join(dir, "s.png")); err != nil {
		t.Errorf("sample --cols beyond the images: %v", err)
	}
}

// TestLatestOutsideTheRunThroughTheCommands: a run whose latest names a checkpoint outside it (by path,
// or through a symlinked step directory) is refused by train --resume, eval and sample, naming latest;
// nothing is written outside the run, and the run keeps its log.
func TestLatestOutsideTheRunThroughTheCommands(t *testing.T) {
	reg, run := cli.Standard(), tinyText(t)
	elsewhere := filepath.Join(filepath.Dir(run), "elsewhere") // ../elsewhere from the run
	if err := os.CopyFS(filepath.Join(elsewhere, "step-00000002"), os.DirFS(filepath.Join(run, "step-00000002"))); err != nil {
		t.Fatal(err)
	}
	listing := func(dir string) []string {
		var names []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			names = append(names, p)
			return err
		})
		return names
	}
	logBefore, err := os.ReadFile(filepath.Join(run, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	filesBefore := listing(elsewhere)
	linked := filepath.Join(run, "step-00000003")
	if err := os.Symlink(filepath.Join(elsewhere, "step-00000002"), linked); err != nil {
		t.Fatal(err)
	}
	for _, latest := range []string{filepath.Join(elsewhere, "step-00000002"), "../elsewhere/step-00000002", "step-00000003"} {
		if err := os.WriteFile(filepath.Join(run, ckpt.LatestFile), []byte(latest), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"train", "--resume", run, "--iterations", "4", "--no-eval", "--quiet"},
			{"eval", run, "--max-sentences", "4", "--chains", "2", "--samples", "2", "--logz-samples", "10", "--quiet"},
			{"sample", run, "-n", "2"},
		} {
			if _, err := lebm(t, reg, args...); err == nil || !strings.Contains(err.Error(), ckpt.LatestFile) {
				t.Errorf("latest %q: lebm %s: %v", latest, args[0], err)
			}
		}
	}
	if got := listing(elsewhere); strings.Join(got, "\n") != strings.Join(filesBefore, "\n") {
		t.Errorf("files outside the run changed:\n%v\nwas\n%v", got, filesBefore)
	}
	if logAfter, _ := os.ReadFile(filepath.Join(run, "log.jsonl")); string(logAfter) != string(logBefore) {
		t.Error("the run's log changed")
	}
}
