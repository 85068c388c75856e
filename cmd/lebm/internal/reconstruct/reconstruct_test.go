package reconstruct

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/text"
)

func TestFlagParsing(t *testing.T) {
	cases := []struct {
		args      []string
		wantInput string
		wantErr   string
	}{
		{[]string{"ck"}, "-", ""},
		{[]string{"ck", "-"}, "-", ""},
		{[]string{"ck", "in.txt", "--chains", "8", "--k1", "50", "--s1", "0.05", "--seed", "3"}, "in.txt", ""},
		{[]string{"ck", "in.txt", "--chain-steps", "50"}, "", "renamed: use --k1"},
		{[]string{"ck", "in.txt", "--chain-step-size", "0.05"}, "", "renamed: use --s1"},
		{[]string{"ck", "in.txt", "--s1", "NaN"}, "", `invalid argument "NaN" for "--s1"`},
		{[]string{}, "", "accepts between 1 and 2 arg"},
		{[]string{"a", "b", "c"}, "", "accepts between 1 and 2 arg"},
	}
	for _, tc := range cases {
		var got *Options
		out, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }), tc.args...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(out, "Usage:") {
				t.Fatalf("%v: want %q with usage, got %v", tc.args, tc.wantErr, err)
			}
			continue
		}
		if err != nil || got.Input != tc.wantInput || got.Posterior.Chains == 0 {
			t.Fatalf("%v: %+v %v", tc.args, got, err)
		}
		if len(tc.args) > 2 && (got.Posterior.Chains != 8 || got.Posterior.K1 != clix.Given(50) || got.Posterior.S1 != clix.Given(0.05) || got.Posterior.Seed != 3) {
			t.Fatalf("%+v", got.Posterior)
		}
	}
}

// TestUnknownWordsAndBadInput: unknown words are shown as <unk>; a file with invalid UTF-8 is reported
// with its name and line.
func TestUnknownWordsAndBadInput(t *testing.T) {
	run := clitest.TinyRun(t, 5)
	var out bytes.Buffer
	cmd := NewCmd(&Options{Stdout: &out, Stdin: strings.NewReader("the qwertyuiop rain falls\n")}, Run)
	if _, err := clitest.Execute(cmd, run, "--json", "--chains", "4"); err != nil {
		t.Fatal(err)
	}
	var pairs []text.Pair
	if err := json.Unmarshal(out.Bytes(), &pairs); err != nil || len(pairs) != 1 {
		t.Fatal(err, out.String())
	}
	if pairs[0].Input != "the <unk> rain falls" || len(pairs[0].Z) != 4 {
		t.Fatalf("%+v", pairs[0])
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("ok line\nbad \xff\n"), 0o644)
	if _, err := clitest.Execute(NewCmd(&Options{Stdout: &out}, Run), run, bad); err == nil || !strings.Contains(err.Error(), bad+":2") {
		t.Fatalf("want an error naming %s:2, got %v", bad, err)
	}
}

// TestImageReconstruct: an image checkpoint writes originals and reconstructions as interleaved rows.
func TestImageReconstruct(t *testing.T) {
	run := clitest.TinyImageRun(t, 2)
	out := filepath.Join(t.TempDir(), "r.png")
	var stdout bytes.Buffer
	opts := &Options{Checkpoint: run, Input: "-", Images: 5, Cols: 3, Out: out, JSON: true,
		Posterior: clix.PosteriorFlags{Chains: 2, Seed: 1}, Stdout: &stdout, Stderr: &stdout}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	var res image.ReconReport
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Images != 5 || res.Chains != 2 || res.K1 != 3 || res.MSE <= 0 {
		t.Fatalf("%+v", res)
	}
	if w, h := clitest.DecodePNG(t, out); w != 3*17+1 || h != 4*17+1 { // 2 blocks of (originals, reconstructions)
		t.Fatalf("grid %v", []int{w, h})
	}
	opts.Input = filepath.Join(t.TempDir(), "missing")
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing data folder: %v", err)
	}
}

// TestExplicitChainSettingsAreUsed: --k1 given is used as given, 0 included (zero Langevin steps from the
// chains' start), never replaced by the model's K1; --k1 equal to the model's K1 is the default.
func TestExplicitChainSettingsAreUsed(t *testing.T) {
	run := clitest.TinyRun(t, 3) // K1 = 5
	z := func(args ...string) []float32 {
		t.Helper()
		var out bytes.Buffer
		cmd := NewCmd(&Options{Stdout: &out, Stdin: strings.NewReader("the rain falls\n")}, Run)
		if _, err := clitest.Execute(cmd, append([]string{run, "--json", "--chains", "4", "--seed", "2"}, args...)...); err != nil {
			t.Fatal(err)
		}
		var pairs []text.Pair
		if err := json.Unmarshal(out.Bytes(), &pairs); err != nil || len(pairs) != 1 {
			t.Fatal(err, out.String())
		}
		return pairs[0].Z
	}
	model, five, zero := z(), z("--k1", "5"), z("--k1", "0")
	if !slices.Equal(model, five) {
		t.Errorf("--k1 5 (the model's K1): z %v, the default gives %v", five, model)
	}
	if slices.Equal(model, zero) {
		t.Errorf("--k1 0 gave the z of the model's K1 (%v)", zero)
	}
	if slices.Equal(z("--s1", "0.5"), model) {
		t.Error("--s1 0.5 gave the z of the model's s1")
	}
}
