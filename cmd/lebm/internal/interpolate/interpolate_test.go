package interpolate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/reconstruct"
	"github.com/lebm/lebm/text"
)

func TestFlagParsing(t *testing.T) {
	var got *Options
	if _, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }),
		"ck", "a b", "c d", "--points", "5", "--chains", "4", "--k1", "30", "--decode", "beam"); err != nil {
		t.Fatal(err)
	}
	if got.First != "a b" || got.Second != "c d" || got.Points != 5 || got.Posterior.Chains != 4 || got.Posterior.K1 != clix.Given(30) || got.Decode.Method != "beam" {
		t.Fatalf("%+v", got)
	}
	if out, err := clitest.Execute(NewCmd(&Options{}, Run), "ck", "only one"); err == nil || !strings.Contains(out, "Usage:") {
		t.Fatalf("missing sentence: %v", err)
	}
	// --steps, the number of points before, is refused naming --points (eval's K1 was --steps too).
	if _, err := clitest.Execute(NewCmd(&Options{}, func(*Options) error { return nil }), "ck", "a", "b", "--steps", "5"); err == nil ||
		!strings.Contains(err.Error(), "use --points") {
		t.Fatalf("--steps: %v", err)
	}
}

// TestEndpointsMatchReconstructions: the first and last points decode the two sentences' reconstructions.
func TestEndpointsMatchReconstructions(t *testing.T) {
	run := clitest.TinyRun(t, 30)
	first, second := "the cold rain falls in the city", "a bank trades and the stock drops"
	var out bytes.Buffer
	if _, err := clitest.Execute(NewCmd(&Options{Stdout: &out}, Run), run, first, second, "--points", "4", "--json"); err != nil {
		t.Fatal(err)
	}
	var points []text.Point
	if err := json.Unmarshal(out.Bytes(), &points); err != nil || len(points) != 4 || points[0].Alpha != 0 || points[3].Alpha != 1 {
		t.Fatalf("%v %+v", err, points)
	}
	var rout bytes.Buffer
	cmd := reconstruct.NewCmd(&reconstruct.Options{Stdout: &rout, Stdin: strings.NewReader(first + "\n" + second + "\n")}, reconstruct.Run)
	if _, err := clitest.Execute(cmd, run, "--json"); err != nil {
		t.Fatal(err)
	}
	var pairs []text.Pair
	if err := json.Unmarshal(rout.Bytes(), &pairs); err != nil {
		t.Fatal(err)
	}
	if points[0].Text != pairs[0].Reconstruction || points[3].Text != pairs[1].Reconstruction {
		t.Fatalf("endpoints %q / %q, reconstructions %q / %q", points[0].Text, points[3].Text, pairs[0].Reconstruction, pairs[1].Reconstruction)
	}
}

// TestImageInterpolate: the originals frame a row of interpolated images; bad indices are refused.
func TestImageInterpolate(t *testing.T) {
	run := clitest.TinyImageRun(t, 2)
	out := filepath.Join(t.TempDir(), "i.png")
	var buf bytes.Buffer
	opts := &Options{Checkpoint: run, First: "3", Second: "7", Points: 5, Out: out, JSON: true,
		Posterior: clix.PosteriorFlags{Chains: 2, Seed: 1}, Stdout: &buf, Stderr: &buf}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	if w, h := clitest.DecodePNG(t, out); w != 7*17+1 || h != 17+1 {
		t.Fatalf("row %v, want 7 images of 16x16", []int{w, h})
	}
	opts.Second = "100000"
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "test image indices") {
		t.Fatalf("bad index: %v", err)
	}
}

// TestRejectsInvalidUTF8: a sentence given in Latin-1 is refused, naming it, as reconstruct refuses a file.
func TestRejectsInvalidUTF8(t *testing.T) {
	run := clitest.TinyRun(t, 2)
	err := Run(&Options{Checkpoint: run, First: "caf\xe9 ouvert", Second: "a b", Points: 3, Posterior: clix.PosteriorFlags{Chains: 2}, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "sentence 1 is not valid UTF-8 (at byte 4)") {
		t.Fatalf("Latin-1 sentence: %v", err)
	}
}
