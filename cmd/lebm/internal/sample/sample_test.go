package sample

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/text"
)

func TestFlagParsing(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *Options)
	}{
		{"defaults", []string{"ck"}, "", func(t *testing.T, o *Options) {
			if o.Checkpoint != "ck" || o.N != 10 || o.Decode.Method != text.Greedy || o.Seed != 1 || o.K0.Given || o.S0.Given {
				t.Fatalf("%+v", o)
			}
		}},
		{"all", []string{"ck", "-n", "100", "--k0", "100", "--s0", "0.2", "--decode", "beam", "--beam", "3", "--temperature", "0.5",
			"--max-words", "9", "--seed", "4", "--json"}, "", func(t *testing.T, o *Options) {
			if o.N != 100 || o.K0 != clix.Given(100) || o.S0 != clix.Given(0.2) || o.Decode.Method != text.Beam ||
				o.Decode.BeamWidth != 3 || o.Decode.Temperature != 0.5 || o.Decode.MaxWords != 9 || o.Seed != 4 || !o.JSON {
				t.Fatalf("%+v", o)
			}
		}},
		{"no checkpoint", nil, "accepts 1 arg", nil},
		{"bad n", []string{"ck", "-n", "x"}, "invalid argument", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *Options
			out, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(out, "Usage:") {
					t.Fatalf("want %q with usage, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// TestSampleReproducible: the same seed gives the same sentences, another seed other ones.
func TestSampleReproducible(t *testing.T) {
	run := clitest.TinyRun(t, 20)
	sample := func(seed string) string {
		var out bytes.Buffer
		cmd := NewCmd(&Options{Stdout: &out}, Run)
		if _, err := clitest.Execute(cmd, run, "-n", "20", "--decode", "sample", "--seed", seed); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	a, b, c := sample("7"), sample("7"), sample("8")
	if a != b {
		t.Fatal("same seed, different samples")
	}
	if a == c {
		t.Fatal("different seeds, same 20 samples")
	}
	if n := strings.Count(a, "\n"); n != 20 {
		t.Fatalf("%d lines, want 20", n)
	}
}

// TestImageSamples: an image checkpoint gives a PNG grid of the requested count and layout.
func TestImageSamples(t *testing.T) {
	run := clitest.TinyImageRun(t, 2)
	out := filepath.Join(t.TempDir(), "s.png")
	var stdout bytes.Buffer
	opts := &Options{Checkpoint: run, N: 6, Cols: 4, Seed: 1, Out: out, JSON: true, Stdout: &stdout, Stderr: &stdout}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	if w, h := clitest.DecodePNG(t, out); w != 4*17+1 || h != 2*17+1 {
		t.Fatalf("grid %v, want 4x2 images of 16x16 with borders", []int{w, h})
	}
	if !strings.Contains(stdout.String(), `"n": 6`) {
		t.Errorf("JSON: %s", stdout.String())
	}
}

// TestRejectsMeaninglessChains: decoding flags given with values that mean nothing, a negative prior chain
// length or a step size that is not positive and finite are refused before any work.
func TestRejectsMeaninglessChains(t *testing.T) {
	for _, tc := range []struct{ args, want string }{{"--max-words 0", "--max-words must be at least 1"},
		{"--max-words -2", "--max-words must be at least 1"}, {"--temperature 0", "--temperature must be positive"}, {"--beam 0", "--beam must be"},
		{"--k0 -1", `invalid argument "-1" for "--k0"`}, {"--s0 -0.1", `invalid argument "-0.1" for "--s0"`}, {"--s0 0", `invalid argument "0" for "--s0"`}} {
		_, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { return nil }), append([]string{"ck"}, strings.Fields(tc.args)...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.args, err)
		}
	}
	for _, o := range []Options{{N: 1, K0: clix.Given(-1)}, {N: 1, S0: clix.Given(-0.1)}} { // set in code, not parsed
		if err := Run(&o); err == nil || (!strings.Contains(err.Error(), "--k0") && !strings.Contains(err.Error(), "--s0")) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
