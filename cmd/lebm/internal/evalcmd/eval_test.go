package evalcmd

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/text"
)

func TestFlagParsing(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *Options)
	}{
		{"defaults", []string{"runs/x"}, "", func(t *testing.T, o *Options) {
			ec := o.request(&text.Config{Config: learn.Config{K1: 20, S1: 0.1}})
			if o.Checkpoint != "runs/x" || o.Split != "test" || ec.Chains != text.DefaultEvalChains || ec.K1 != 20 || ec.S1 != 0.1 ||
				ec.LogZSamples != text.DefaultLogZSamples || ec.ImportanceSamples != text.DefaultEvalSamples {
				t.Fatalf("%+v %+v", o, ec)
			}
		}},
		{"settings", []string{"ck", "--split", "valid", "--chains", "8", "--k1", "100", "--s1", "0.05", "--samples", "32",
			"--logz-samples", "1000", "--sigma-floor", "0.1", "--max-sentences", "50", "--json"}, "",
			func(t *testing.T, o *Options) {
				ec := o.request(&text.Config{Config: learn.Config{K1: 20, S1: 0.1}})
				if o.Split != "valid" || !o.JSON || ec.Chains != 8 || ec.K1 != 100 || ec.S1 != 0.05 || ec.ImportanceSamples != 32 ||
					ec.LogZSamples != 1000 || ec.SigmaFloor != 0.1 || ec.MaxSentences != 50 {
					t.Fatalf("%+v", ec)
				}
			}},
		{"--k1 0 is zero steps, not the model's", []string{"ck", "--k1", "0"}, "", func(t *testing.T, o *Options) {
			ec := o.request(&text.Config{Config: learn.Config{K1: 20, S1: 0.1}})
			if ec.K1 != 0 || ec.S1 != 0.1 {
				t.Fatalf("%+v", ec)
			}
		}},
		{"--lm-iterations not given is the model's", []string{"ck", "--generation"}, "", func(t *testing.T, o *Options) {
			if g := o.request(&text.Config{Config: learn.Config{Iterations: 30}}).Generation; g == nil || g.LMIterations != 0 || o.LMIterations.Given {
				t.Fatalf("%+v %+v", g, o.LMIterations)
			}
		}},
		{"--lm-iterations given", []string{"ck", "--generation", "--lm-iterations", "7"}, "", func(t *testing.T, o *Options) {
			if g := o.request(&text.Config{}).Generation; g == nil || g.LMIterations != 7 {
				t.Fatalf("%+v", g)
			}
		}},
		{"--lm-iterations 0 is no language model, refused", []string{"ck", "--lm-iterations", "0"}, `want a number of iterations, 1 or more`, nil},
		{"old name of --k1", []string{"ck", "--steps", "7"}, "renamed: use --k1", nil},
		{"old name of --s1", []string{"ck", "--step-size", "0.2"}, "renamed: use --s1", nil},
		{"negative --k1", []string{"ck", "--k1", "-1"}, `invalid argument "-1" for "--k1"`, nil},
		{"zero --s1", []string{"ck", "--s1", "0"}, `invalid argument "0" for "--s1"`, nil},
		{"negative --s1", []string{"ck", "--s1", "-5"}, `invalid argument "-5" for "--s1"`, nil},
		{"NaN --s1", []string{"ck", "--s1", "NaN"}, `invalid argument "NaN" for "--s1"`, nil},
		{"--s1 beyond float32", []string{"ck", "--s1", "1e300"}, "finite in float32", nil},
		{"no checkpoint", nil, "accepts 1 arg", nil},
		{"two checkpoints", []string{"a", "b"}, "accepts 1 arg", nil},
		{"bad number", []string{"a", "--chains", "x"}, "invalid argument", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *Options
			cmd := NewCmd(&Options{}, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			var buf bytes.Buffer
			cmd.SetOut(&buf)
			cmd.SetErr(&buf)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want %q, got %v", tc.wantErr, err)
				}
				if !strings.Contains(buf.String(), "Usage:") {
					t.Fatal("a flag error must print the usage")
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

// TestTrainResumeEval runs the commands end to end on a tiny configuration: train, resume to more
// iterations, evaluate with --json; and checks that a run error does not print the usage.
func TestTrainResumeEval(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	var out, errb bytes.Buffer
	topts := &train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &errb}
	clitest.Set(t, topts, "embed=8 hidden=16 z=4 ebm-width=16 k0=5 k1=3 iterations=4 save-every=2 batch=8")
	if err := train.Run(topts); err != nil {
		t.Fatal(err)
	}
	again := &train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &errb}
	if err := train.Run(again); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Fatalf("training into an existing run directory must be refused, got %v", err)
	}
	ropts := &train.Options{Resume: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &errb, JSON: true}
	clitest.Set(t, ropts, "iterations=6")
	out.Reset()
	if err := train.Run(ropts); err != nil {
		t.Fatal(err)
	}
	var sum text.TrainReport
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Iterations != 6 || filepath.Base(sum.Checkpoint) != "step-00000006" {
		t.Fatalf("resume summary %+v (%v): %s", sum, err, out.String())
	}
	out.Reset()
	cmd := NewCmd(&Options{Stdout: &out, Stderr: &errb}, Run)
	perSentence := filepath.Join(t.TempDir(), "nll.txt")
	cmd.SetArgs([]string{run, "--json", "--quiet", "--chains", "2", "--samples", "2", "--logz-samples", "100", "--max-sentences", "20",
		"--sentence-nll", perSentence})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	removed := NewCmd(&Options{Stdout: io.Discard, Stderr: io.Discard}, Run)
	removed.SetArgs([]string{run, "--floor-sentences", "4"})
	if err := removed.Execute(); err == nil || !strings.Contains(err.Error(), "dealt to the sentences at random") {
		t.Errorf("--floor-sentences (removed): %v", err)
	}
	if b, err := os.ReadFile(perSentence); err != nil || len(strings.Fields(string(b))) != 20 {
		t.Fatalf("--sentence-nll wrote %q (%v), want 20 values", b, err)
	}
	var res text.EvalResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Sentences != 20 || res.NLL <= 0 || res.PPL <= 1 || res.Settings.Chains != 2 || res.LogZ.Samples != 100 {
		t.Fatalf("%+v", res)
	}
	var withTopics text.EvalReport // the embedded corpus has topic labels: the topic measures come with every evaluation
	if err := json.Unmarshal(out.Bytes(), &withTopics); err != nil || withTopics.Topics == nil || withTopics.Topics.Split != "test" ||
		withTopics.Topics.FitSplit != "valid" || withTopics.Topics.Accuracy < 0 || withTopics.Topics.Accuracy > 1 {
		t.Fatalf("topics %+v (%v)", withTopics.Topics, err)
	}
	// Generation metrics.
	out.Reset()
	cmd = NewCmd(&Options{Stdout: &out, Stderr: &errb}, Run)
	cmd.SetArgs([]string{run, "--json", "--quiet", "--chains", "2", "--samples", "2", "--logz-samples", "100", "--max-sentences", "10",
		"--generation", "--gen-samples", "30", "--lm-iterations", "5"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var withGen struct {
		Generation *text.GenerationResult `json:"generation"`
	}
	if err := json.Unmarshal(out.Bytes(), &withGen); err != nil || withGen.Generation == nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	g := withGen.Generation
	if g.Settings.Samples != 30 || g.ReversePPL.Value <= 1 || g.ForwardPPL.Value <= 1 || g.BLEU.Score < 0 || g.BLEU.Score > 1 ||
		g.KL.KL < 0 || g.ReversePPL.Method == "" || g.Settings.LMIterations != 5 {
		t.Fatalf("%+v", g)
	}
	// --lm-iterations not given: the model's training iterations (6).
	out.Reset()
	cmd = NewCmd(&Options{Stdout: &out, Stderr: &errb}, Run)
	cmd.SetArgs([]string{run, "--json", "--quiet", "--chains", "2", "--samples", "2", "--logz-samples", "100", "--max-sentences", "10",
		"--generation", "--gen-samples", "10"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	withGen.Generation = nil
	if err := json.Unmarshal(out.Bytes(), &withGen); err != nil || withGen.Generation == nil || withGen.Generation.Settings.LMIterations != 6 {
		t.Fatalf("LM iterations not given: %+v (%v)", withGen.Generation, err)
	}
	// A run error (damaged path) is reported without the usage text.
	errb.Reset()
	cmd = NewCmd(&Options{Stdout: &out, Stderr: &errb}, Run)
	cmd.SetArgs([]string{filepath.Join(run, "missing")})
	cmd.SetErr(&errb)
	if err := cmd.Execute(); err == nil || strings.Contains(errb.String(), "Usage:") {
		t.Fatalf("want an error without usage, got %v / %q", err, errb.String())
	}
}

// TestImageEval: an image checkpoint reports the reconstruction error with its settings; FID without
// weights says where to get them.
func TestImageEval(t *testing.T) {
	run := clitest.TinyImageRun(t, 2)
	var stdout, stderr bytes.Buffer
	opts := &Options{Checkpoint: run, Split: "test", JSON: true, Quiet: true, Eval: Estimators{Estimator: learn.Estimator{Chains: 2, ImportanceSamples: learn.DefaultEvalSamples,
		SigmaFloor: learn.DefaultSigmaFloor, RowsPerCall: learn.DefaultRowsPerCall}, LogZSamples: learn.DefaultLogZSamples, Seed: 1},
		Image: ImageOptions{Images: 30}, Stdout: &stdout, Stderr: &stderr}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	var res image.EvalReport
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	r := res.Recon
	if r == nil || r.Images != 30 || r.Chains != 2 || r.K1 != 3 || r.MSE <= 0 || r.Baseline <= 0 || res.FID != nil {
		t.Fatalf("%+v", res)
	}
	if l := res.Likelihood; l == nil || l.Images != 30 || l.Settings.Chains != 2 || l.Settings.K1 != 3 || math.IsNaN(l.NLL) || l.NLL == 0 ||
		l.BitsPerDim <= 0 || l.LogZ.Samples == 0 {
		t.Fatalf("log-likelihood %+v", l)
	}
	if f := res.Fit; f == nil || f.Images != 30 || f.PixelFD <= 0 || f.LatentFD <= 0 || f.K1 != 3 {
		t.Fatalf("sample fit %+v", f)
	}
	if r.MSE01*4 != r.MSE {
		t.Errorf("MSE on [0, 1] %v is not MSE / 4 (%v)", r.MSE01, r.MSE)
	}
	if l := res.Likelihood; l.Settings.RowsPerCall < l.Settings.Chains {
		t.Errorf("log-likelihood reports %d rows per call, fewer than its %d chains", l.Settings.RowsPerCall, l.Settings.Chains)
	}
	// --k1 0 and --s1 given: both image estimates use them, not the model's.
	stdout.Reset()
	given := *opts
	given.K1, given.S1 = clix.Given(0), clix.Given(0.05)
	if err := Run(&given); err != nil {
		t.Fatal(err)
	}
	res = image.EvalReport{}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if r, l := res.Recon, res.Likelihood; r.K1 != 0 || r.S1 != 0.05 || l.Settings.K1 != 0 || l.Settings.S1 != 0.05 {
		t.Fatalf("given --k1 0 --s1 0.05: reconstruction k1 %d s1 %v, likelihood k1 %d s1 %v", r.K1, r.S1, l.Settings.K1, l.Settings.S1)
	}
	opts.Image.Inception = t.TempDir()
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "inception_v3_weights") {
		t.Fatalf("FID without weights: %v", err)
	}
	opts.Image.FIDReference = "valid" // refused before any evaluation runs
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "--fid-reference") {
		t.Fatalf("bad FID reference: %v", err)
	}
	opts.Image.Inception, opts.Image.FIDReference, opts.Split = "", "", "valid"
	if err := Run(opts); err == nil || !strings.Contains(err.Error(), "test or train") {
		t.Fatalf("bad split: %v", err)
	}
}

// TestRejectsAndWarns: a negative --max-sentences is refused; a split of which no word is in the model's
// vocabulary is evaluated with a warning that it may be the wrong corpus.
func TestRejectsAndWarns(t *testing.T) {
	run := clitest.TinyRun(t, 2)
	parse := func(args ...string) *Options {
		var got *Options
		if _, err := clitest.Execute(NewCmd(&Options{}, func(o *Options) error { got = o; return nil }), args...); err != nil {
			t.Fatal(err)
		}
		return got
	}
	var stdout, stderr bytes.Buffer
	o := parse(run, "--max-sentences", "-1", "--quiet")
	o.Stdout, o.Stderr = &stdout, &stderr
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "--max-sentences") {
		t.Errorf("--max-sentences -1: %v", err)
	}
	dir := t.TempDir()
	for _, f := range []string{"train", "valid", "test"} {
		os.WriteFile(filepath.Join(dir, f+".txt"), []byte("zzz qqq\nqqq\n"), 0o644)
	}
	o = parse(run, "--data", dir, "--chains", "2", "--samples", "2", "--logz-samples", "10", "--quiet")
	o.Stdout, o.Stderr = &stdout, &stderr
	if err := Run(o); err != nil || !strings.Contains(stderr.String(), "100.0% of the words of the test split are <unk>") {
		t.Errorf("an all-<unk> split: %v, stderr %q", err, stderr.String())
	}
}
