package plot

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/internal/plots"
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
	o := &train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}
	clitest.Set(t, o, "eval-every=4 eval-every-sentences=8 embed=8 hidden=16 z=4 ebm-width=8 k0=3 k1=3 iterations=8 batch=8 log-every=1")
	if err := train.Run(o); err != nil {
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
	if err := Run(&Options{RunDir: run, Sentences: 40, Posterior: clix.PosteriorFlags{Chains: 4, Seed: 1}, Stdout: &out, Stderr: &out}); err == nil || !strings.Contains(err.Error(), "log.jsonl:2") {
		t.Fatalf("want an error naming log.jsonl:2, got %v", err)
	}
}

// TestPlotImageRun: an image run gives its curves and the projection of test images' posterior means.
func TestPlotImageRun(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	var buf bytes.Buffer
	o := &train.Options{Family: "image", Out: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}
	clitest.Set(t, o, "ngf=2 ebm-width=8 z=3 k0=2 k1=2 iterations=3 batch=10 log-every=1")
	if err := train.Run(o); err != nil {
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
