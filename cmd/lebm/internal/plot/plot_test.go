package plot

import (
	"bytes"
	"github.com/lebm/lebm/learn"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/text"
)

func TestFlagParsing(t *testing.T) {
	var got *Options
	if _, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }), "runs/x", "--out", "pics", "--sentences", "50", "--chains", "4"); err != nil {
		t.Fatal(err)
	}
	if got.RunDir != "runs/x" || got.Out != "pics" || got.Sentences != 50 || got.Posterior.Chains != 4 {
		t.Fatalf("%+v", got)
	}
	if out, err := clitest.Execute(NewCmd(&Options{}, Run)); err == nil || !strings.Contains(out, "Usage:") {
		t.Fatalf("missing run directory: %v", err)
	}
}

// TestPlotRun trains a tiny run with periodic validation and checks every picture decodes at its size.
func TestPlotRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	var buf bytes.Buffer
	if err := train.Run(&train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf, EvalEvery: 4, EvalEverySentences: 8,
		Changed: []string{"embed", "hidden", "z", "ebm-width", "k0", "k1", "iterations", "batch", "log-every"},
		Config:  text.Config{EmbedDim: 8, HiddenDim: 16, Config: learn.Config{ZDim: 4, EBMWidth: 8, K0: 3, K1: 3, Iterations: 8, Batch: 8, LogEvery: 1}}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, n := range []int{0, -1} { // refused, not a slice out of range
		if err := Run(&Options{RunDir: run, Sentences: n, Posterior: clix.PosteriorFlags{Chains: 4, Seed: 1}, Stdout: &out, Stderr: &out}); err == nil ||
			!strings.Contains(err.Error(), "--sentences must be at least 1") {
			t.Fatalf("--sentences %d: %v", n, err)
		}
	}
	if err := Run(&Options{RunDir: run, Sentences: 40, Posterior: clix.PosteriorFlags{Chains: 4, Seed: 1}, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"losses.png", "energies.png", "valid.png", "collapse.png", "displacement.png", "latent.png"} {
		f, err := os.Open(filepath.Join(run, "plots", name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != plots.WidthPx || b.Dy() != plots.HeightPx {
			t.Fatalf("%s: %v", name, b)
		}
	}
	if !strings.Contains(out.String(), "latent.png: topics in the picture's plane: nearest-centroid accuracy") {
		t.Errorf("plot does not say how far apart the topics are in latent.png:\n%s", out.String())
	}
	// A damaged log is reported with its line.
	os.WriteFile(filepath.Join(run, "log.jsonl"), []byte("{\"step\":1}\nnot json\n"), 0o644)
	if err := Run(&Options{RunDir: run, Sentences: 40, Stdout: &out, Stderr: &out}); err == nil || !strings.Contains(err.Error(), "log.jsonl:2") {
		t.Fatalf("want an error naming log.jsonl:2, got %v", err)
	}
}

// TestPlotImageRun: an image run gives its curves and the projection of test images' posterior means.
func TestPlotImageRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	var buf bytes.Buffer
	if err := train.Run(&train.Options{Family: train.FamilyImage, Out: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf,
		Changed: []string{"ngf", "z", "nef", "k0", "k1", "iterations", "batch", "log-every"}, Image: train.ImageFlags{NGF: 2, NEF: 8},
		Config: text.Config{Config: learn.Config{ZDim: 3, K0: 2, K1: 2, Iterations: 3, Batch: 10, LogEvery: 1}}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(&Options{RunDir: run, Sentences: 30, Posterior: clix.PosteriorFlags{Chains: 2, Seed: 1}, Stdout: &out, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"losses.png", "energies.png", "latent.png"} {
		if _, err := os.Stat(filepath.Join(run, "plots", name)); err != nil {
			t.Fatal(err)
		}
	}
}
