package sweep

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	var got *Options
	_, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }), args...)
	return got, err
}

func TestFlagParsing(t *testing.T) {
	grid := filepath.Join(t.TempDir(), "grid.txt")
	os.WriteFile(grid, []byte("# comment\n\nc=--k1 5\n"), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("a=--k1 5\nno equals sign\n"), 0o644)
	cases := []struct {
		name    string
		args    []string
		wantErr string // from parsing or from Grid
		check   func(t *testing.T, o *Options, g []Setting)
	}{
		{"settings and grid file", []string{"--out", "s", "--setting", "a=--prior ebm", "--setting", "b=--prior gaussian --k1 3", "--grid", grid,
			"--iterations", "50", "--jobs", "2", "--max-time", "10m", "--base", "--data d"}, "", func(t *testing.T, o *Options, g []Setting) {
			want := []Setting{{"a", "--prior ebm"}, {"b", "--prior gaussian --k1 3"}, {"c", "--k1 5"}}
			if !reflect.DeepEqual(g, want) || o.Iterations != 50 || o.Jobs != 2 || o.MaxTime.Minutes() != 10 {
				t.Fatalf("%+v %+v", o, g)
			}
			args := o.TrainArgs(g[1])
			wantArgs := []string{"--data", "d", "--prior", "gaussian", "--k1", "3", "--out", filepath.Join("s", "b"), "--iterations", "50", "--eval-split", "valid", "--json", "--quiet", "--max-time", "10m0s"}
			if !reflect.DeepEqual(args, wantArgs) {
				t.Fatalf("train args %q", args)
			}
		}},
		{"defaults", []string{"--out", "s", "--setting", "x="}, "", func(t *testing.T, o *Options, g []Setting) {
			if o.Iterations != 300 || o.Jobs != 1 || o.MaxTime != 0 || g[0].Flags != "" {
				t.Fatalf("%+v", o)
			}
		}},
		{"no settings", []string{"--out", "s"}, "no settings", nil},
		{"malformed setting", []string{"--setting", "nameonly"}, "expected NAME=FLAGS", nil},
		{"name with slash", []string{"--setting", "a/b=--k1 2"}, "expected NAME=FLAGS", nil},
		{"duplicate names", []string{"--setting", "a=--k1 2", "--setting", "a=--k1 3"}, "used twice", nil},
		{"bad grid line", []string{"--grid", bad}, "bad.txt:2", nil},
		{"not a number", []string{"--iterations", "x"}, "invalid argument", nil},
		{"newline in a name", []string{"--setting", "new\nline=--k1 2"}, `its NAME holds "\n" at byte 3`, nil},
		{"escape in a name", []string{"--setting", "a\x1b[31m=--k1 2"}, `its NAME holds "\x1b" at byte 1`, nil},
		{"invalid UTF-8 in a name", []string{"--setting", "a\xff=--k1 2"}, `its NAME holds "\xff" at byte 1`, nil},
		{"a table cell's bar in a name", []string{"--setting", "a|b=--k1 2"}, `its NAME holds "|" at byte 1`, nil},
		{"right-to-left override in a name", []string{"--setting", "a\u202eb=--k1 2"}, `its NAME holds "\u202e" at byte 1`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(t, tc.args...)
			var g []Setting
			if err == nil {
				g, err = o.Grid()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o, g)
		})
	}
}

// TestRefusesANegativeMaxTime: --max-time below zero is refused, as train refuses it, before anything runs.
func TestRefusesANegativeMaxTime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s")
	o, err := parse(t, "--out", out, "--setting", "a=--k1 2", "--max-time", "-5s")
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "--max-time must be a positive duration") {
		t.Fatalf("--max-time -5s: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused sweep created %s", out)
	}
}

// TestSweepRuns: a two-setting sweep trains both, writes the table, JSON and plots, refuses a setting
// with a bad train flag before training anything, and reuses finished results when rerun.
func TestSweepRuns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	base := "--embed 8 --hidden 16 --z 2 --ebm-width 8 --k0 3 --k1 2 --batch 16 --eval-every 2 --eval-every-sentences 8 " +
		"--eval-sentences 10 --eval-chains 2 --eval-samples 2 --logz-samples 100"
	var stdout, stderr strings.Builder
	opts := &Options{Out: out, Base: base, Iterations: 2, Jobs: 2, Stdout: &stdout, Stderr: &stderr,
		Settings: []string{"ebm=--prior ebm", "enc=--prior gaussian --posterior-init encoder"}}
	if err := Run(opts); err != nil {
		t.Fatal(err, stderr.String())
	}
	table, err := os.ReadFile(filepath.Join(out, "table.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| ebm | `--prior ebm` | 2 |", "| enc |", "MI floor", "importance-sampled", "validation NLL (s.e.)",
		"Selected by validation NLL", "evaluated on the test split once", "first 10 validation sentences", "The runner-up", "| latent |"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// Every setting is evaluated on the validation split; the one of the lowest validation NLL, alone,
	// on the test split.
	var res struct {
		Settings []*Result `json:"settings"`
		Selected *Selected `json:"selected"`
	}
	js, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(js, &res); err != nil || res.Selected == nil || len(res.Settings) != 2 {
		t.Fatalf("results.json: %v\n%s", err, js)
	}
	lowest := res.Settings[0]
	for _, r := range res.Settings {
		if r.Summary.Test.Split != "valid" {
			t.Errorf("setting %s evaluated on the %s split, want valid", r.Setting.Name, r.Summary.Test.Split)
		}
		if r.Summary.Test.NLL < lowest.Summary.Test.NLL {
			lowest = r
		}
	}
	if res.Selected.Setting != lowest.Setting.Name || res.Selected.Test.Split != "test" || res.Selected.ValidNLL != lowest.Summary.Test.NLL {
		t.Errorf("selected %s (valid NLL %v, evaluated on %s); the lowest validation NLL is %s's, %v",
			res.Selected.Setting, res.Selected.ValidNLL, res.Selected.Test.Split, lowest.Setting.Name, lowest.Summary.Test.NLL)
	}
	for _, f := range []string{"results.json", "sweep.png", "sweep-mi.png", "ebm/" + ResultFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(out, "enc", "log.jsonl"))
	if err := Run(opts); err != nil { // rerun: finished settings are read back, not retrained
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(out, "enc", "log.jsonl"))
	if string(before) != string(after) {
		t.Error("a finished setting was trained again")
	}
	opts.Settings = append(opts.Settings, "bad=--posterior-init magic")
	err = Run(opts)
	if err == nil || !strings.Contains(err.Error(), "setting bad") || !strings.Contains(err.Error(), "--posterior-init must be") {
		t.Fatalf("bad setting: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "bad")); !os.IsNotExist(err) {
		t.Error("a bad setting started training")
	}
	opts.Settings = append(opts.Settings[:len(opts.Settings)-1], "img=--family image")
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "setting img") || !strings.Contains(err.Error(), "--family image") {
		t.Fatalf("image setting: %v", err)
	}
}

// TestRunSettingResumesToTheRunsBudget: a setting whose run stopped early (here: out of time at its first
// checkpoint, and killed before "latest" was written) is continued from its newest complete step to the
// iterations its checkpoint holds when the setting's flags give none.
func TestRunSettingResumesToTheRunsBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	flags := "--embed 8 --hidden 16 --z 4 --k0 2 --k1 2 --iterations 3 --no-eval"
	to, err := TrainOptions(Setting{"a", flags}, append(strings.Fields(flags), "--out", out, "--json", "--quiet", "--max-time", "1ns"))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	to.Stdout, to.Stderr = &buf, &buf
	if err := train.Run(to); err != nil { // stops at step 0: out of time
		t.Fatal(err)
	}
	// Killed before its first "latest" was written: the newest complete step is where it continues.
	if err := os.Remove(filepath.Join(out, "latest")); err != nil {
		t.Fatal(err)
	}
	resumeFlags := "--embed 8 --hidden 16 --z 4 --k0 2 --k1 2 --no-eval" // no --iterations: the run's own 3
	s := Setting{"a", resumeFlags}
	to, err = TrainOptions(s, append(strings.Fields(resumeFlags), "--out", out, "--json", "--quiet"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunSetting(s, to, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Iterations != 3 {
		t.Fatalf("resumed to iteration %d, want the run's budget of 3", r.Summary.Iterations)
	}
}
