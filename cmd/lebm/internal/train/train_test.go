package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lebm/lebm/image"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
)

func parse(t *testing.T, args []string) (*Options, error) {
	t.Helper()
	opts := &Options{}
	var got *Options
	cmd := NewCmd(opts, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.Execute()
	return got, err
}

func TestFlagParsing(t *testing.T) {
	smallCorpus := writeTextCorpus(t, 400, "w") // 400 sentences: the smallest model, 500 iterations
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *Options)
	}{
		{"defaults: embedded preset", nil, "", func(t *testing.T, o *Options) {
			cfg, err := textConfig(o)
			if err != nil || cfg.Preset != "embedded" || cfg.K0 != 60 || cfg.S1 != 0.1 || cfg.Prior != "ebm" ||
				!cfg.HasEncoder() || cfg.K1 != 0 || cfg.BoWWeight != 1 || cfg.FreeBits != 0.1 || cfg.Iterations != text.EmbeddedIterations {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"the paper's way on the embedded corpus", []string{"--preset", "embedded-paper"}, "", func(t *testing.T, o *Options) {
			cfg, err := textConfig(o)
			if err != nil || cfg.HasEncoder() || cfg.K1 != 20 || cfg.BoWWeight != 0 || cfg.FreeBits != 0 || cfg.EmbedDim != 32 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"a prior learning rate of 0 keeps the prior fixed", []string{"--lr-prior", "0"}, "", func(t *testing.T, o *Options) {
			if cfg, err := textConfig(o); err != nil || cfg.LRPrior != 0 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"the paper's nef is --ebm-width", []string{"--family", "image", "--nef", "100"}, "renamed: use --ebm-width", nil},
		{"bag-of-words weight", []string{"--bow-weight", "0.5"}, "", func(t *testing.T, o *Options) {
			if cfg, err := textConfig(o); err != nil || cfg.BoWWeight != 0.5 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"bag-of-words without the inference network", []string{"--preset", "embedded-paper", "--bow-weight", "1"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "--posterior-init encoder") {
				t.Fatalf("accepted: %v", err)
			}
		}},
		{"data without a preset: sized for the corpus, the recommended learning", []string{"--data", smallCorpus}, "", func(t *testing.T, o *Options) {
			cfg, err := textConfig(o)
			if err != nil || cfg.Preset != "corpus" || cfg.EmbedDim != 32 || cfg.HiddenDim != 64 || cfg.Iterations != 500 || cfg.ZDim != 32 ||
				cfg.PosteriorStart() != learn.InitEncoder || cfg.K1 != 0 || cfg.FreeBits != text.RecommendedFreeBits || cfg.MaxLen != 0 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"a corpus preset without data", []string{"--preset", "ptb"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "--preset ptb is sized for") || !strings.Contains(err.Error(), "--data") {
				t.Fatalf("accepted: %v", err)
			}
		}},
		{"preset snli", []string{"--preset", "snli", "--data", "/x"}, "", func(t *testing.T, o *Options) {
			cfg, _ := textConfig(o)
			if cfg.EmbedDim != 256 || cfg.HiddenDim != 256 || cfg.PosteriorStart() != learn.InitEncoder || cfg.MaxLen != 0 {
				t.Fatalf("%+v", cfg)
			}
		}},
		{"the paper's learning is one flag", []string{"--preset", "ptb", "--data", "/x", "--learning", "paper"}, "", func(t *testing.T, o *Options) {
			cfg, err := textConfig(o)
			paper := cfg
			paper.PosteriorInit, paper.K1, paper.EncoderRate, paper.FreeBits, paper.PriorWeightWarmup, paper.LRPrior = "", 20, "", 0, 0, text.DefaultLRPrior
			if err != nil || !reflect.DeepEqual(cfg, paper) || !strings.HasPrefix(cfg.Method(), "the paper's") || cfg.HiddenDim != 512 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"an unknown learning", []string{"--data", smallCorpus, "--learning", "fast"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "--learning must be recommended or paper") {
				t.Fatalf("accepted: %v", err)
			}
		}},
		{"the embedded presets name their learning", []string{"--learning", "paper"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "--preset embedded-paper") {
				t.Fatalf("accepted: %v", err)
			}
		}},
		{"overrides", []string{"--preset", "yahoo", "--data", "/x", "--k0", "30", "--s0", "0.3", "--k1", "40", "--s1", "0.05", "--ebm-width", "100",
			"--lr-gen", "0.002", "--lr-prior", "0.0002", "--batch", "64", "--max-len", "20", "--vocab-size", "500", "--min-count", "2",
			"--iterations", "7", "--seed", "9", "--prior", "gaussian", "--hidden", "99", "--embed", "11", "--z", "4", "--clip", "1"}, "",
			func(t *testing.T, o *Options) {
				cfg, err := textConfig(o)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := textConfig(o)
				want.K0, want.S0, want.K1, want.S1, want.EBMWidth = 30, 0.3, 40, 0.05, 100
				want.LRGen, want.LRPrior, want.Batch, want.MaxLen, want.VocabSize, want.MinCount = 0.002, 0.0002, 64, 20, 500, 2
				want.Iterations, want.Seed, want.Prior, want.HiddenDim, want.EmbedDim, want.ZDim, want.GenClip = 7, 9, "gaussian", 99, 11, 4, 1
				if !reflect.DeepEqual(cfg, want) || cfg.Preset != "yahoo" {
					t.Fatalf("got %+v", cfg)
				}
			}},
		{"unset flags keep the preset", []string{"--preset", "ptb", "--data", "/x", "--k1", "5"}, "", func(t *testing.T, o *Options) {
			cfg, _ := textConfig(o)
			if cfg.K1 != 5 || cfg.K0 != 60 || cfg.HiddenDim != 512 || !o.flags.Changed("k1") || o.flags.Changed("k0") {
				t.Fatalf("%+v", cfg)
			}
		}},
		{"inference flags", []string{"--posterior-init", "encoder", "--prior-init", "synthesis", "--k1", "0", "--s1-end", "0.02",
			"--s0-end", "0.1", "--k1-warmup", "50", "--k1-warmup-iters", "100", "--prior-weight-warmup", "300", "--encoder-hidden", "64",
			"--eval-every", "25", "--max-time", "90s", "--eval-sentences", "300", "--free-bits", "0.1", "--encoder-rate", "base", "--word-dropout", "0.25"}, "", func(t *testing.T, o *Options) {
			cfg, err := textConfig(o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PosteriorInit != "encoder" || cfg.PriorInit != "synthesis" || cfg.K1 != 0 || cfg.S1End != 0.02 || cfg.S0End != 0.1 ||
				cfg.K1Warmup != 50 || cfg.K1WarmupIters != 100 || cfg.PriorWeightWarmup != 300 || cfg.EncoderHidden != 64 ||
				cfg.FreeBits != 0.1 || cfg.EncoderRate != "base" || cfg.WordDropout != 0.25 {
				t.Fatalf("%+v", cfg)
			}
			if flag(o, "eval-every") != "25" || o.MaxTime.Seconds() != 90 || flag(o, "eval-sentences") != "300" {
				t.Fatalf("%+v", o)
			}
		}},
		{"image family: preset and overrides", []string{"--family", "image", "--preset", "cifar10", "--ngf", "32", "--ebm-width", "100", "--sigma", "0.2",
			"--k0", "10", "--k1", "15", "--z", "64", "--lr-prior", "0.001", "--hold-out", "3", "--format", "folder", "--eval-images", "50"}, "", func(t *testing.T, o *Options) {
			if err := o.request(nil).CheckFlags(false); err != nil {
				t.Fatal(err)
			}
			cfg, err := imageConfig(o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Preset != "cifar10" || cfg.NGF != 32 || cfg.EBMWidth != 100 || cfg.Sigma != 0.2 || cfg.K0 != 10 || cfg.K1 != 15 ||
				cfg.ZDim != 64 || cfg.LRPrior != 0.001 || cfg.HoldOut != 3 || cfg.LRGen != 1e-4 || cfg.Height != 32 {
				t.Fatalf("%+v", cfg)
			}
			if flag(o, "format") != "folder" || flag(o, "eval-images") != "50" {
				t.Fatalf("format %q, eval images %s", flag(o, "format"), flag(o, "eval-images"))
			}
		}},
		{"image family: table 1 and 2 defaults", []string{"--family", "image", "--preset", "cifar10", "--data", "/x"}, "", func(t *testing.T, o *Options) {
			cfg, err := imageConfig(o)
			if err != nil || cfg.K1 != 40 || cfg.NGF != 128 || cfg.ZDim != 128 || cfg.EBMWidth != 200 || cfg.HoldOut != -1 {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"image family: embedded without data", []string{"--family", "image"}, "", func(t *testing.T, o *Options) {
			cfg, err := imageConfig(o)
			if err != nil || cfg.Preset != "embedded" {
				t.Fatalf("%+v %v", cfg, err)
			}
		}},
		{"image family refuses text flags", []string{"--family", "image", "--embed", "8"}, "", func(t *testing.T, o *Options) {
			if err := o.request(nil).CheckFlags(false); err == nil || !strings.Contains(err.Error(), "--embed is not a flag of the image family") {
				t.Fatalf("got %v", err)
			}
		}},
		{"text family refuses image flags", []string{"--ngf", "8"}, "", func(t *testing.T, o *Options) {
			if err := o.request(nil).CheckFlags(false); err == nil || !strings.Contains(err.Error(), "--ngf is not a flag of the text family") {
				t.Fatalf("got %v", err)
			}
		}},
		{"unknown family", []string{"--family", "audio"}, "", func(t *testing.T, o *Options) {
			if _, err := o.Configure(); err == nil || !strings.Contains(err.Error(), "--family") {
				t.Fatalf("got %v", err)
			}
		}},
		{"image preset unknown", []string{"--family", "image", "--preset", "ptb"}, "", func(t *testing.T, o *Options) {
			if _, err := imageConfig(o); err == nil || !strings.Contains(err.Error(), "unknown image preset") {
				t.Fatalf("got %v", err)
			}
		}},
		{"bad posterior init", []string{"--posterior-init", "vae"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "--posterior-init must be") {
				t.Fatalf("want posterior init error, got %v", err)
			}
		}},
		{"bad prior", []string{"--prior", "flow"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "prior") {
				t.Fatalf("want prior error, got %v", err)
			}
		}},
		{"bad preset", []string{"--preset", "wiki"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil || !strings.Contains(err.Error(), "unknown preset") {
				t.Fatalf("want preset error, got %v", err)
			}
		}},
		{"negative step size", []string{"--s0", "-1"}, "", func(t *testing.T, o *Options) {
			if _, err := textConfig(o); err == nil {
				t.Fatal("negative step size accepted")
			}
		}},
		{"not a number", []string{"--k0", "many"}, "invalid argument", nil},
		{"unknown flag", []string{"--frobnicate"}, "unknown flag", nil},
		{"positional argument", []string{"extra"}, "unknown command", nil},
		{"backend and resume", []string{"--backend", "/opt/cuda.so", "--resume", "runs/x", "--json", "--no-eval"}, "", func(t *testing.T, o *Options) {
			if o.Backend != "/opt/cuda.so" || o.Resume != "runs/x" || !o.JSON || !o.NoEval {
				t.Fatalf("%+v", o)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(t, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

// TestRunBadInputs: Run fails with an error naming the file and does not create checkpoints.
func TestRunBadInputs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train.txt"), []byte("a b\nc \xff d\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "valid.txt"), []byte("a\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "test.txt"), []byte("a\n"), 0o644)
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	err := Run(&Options{Data: dir, Preset: "embedded", Out: out, Quiet: true, Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "train.txt")+":2") || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("want an error naming train.txt:2, got %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a run directory was created for bad data")
	}
	err = Run(&Options{Resume: filepath.Join(t.TempDir(), "nothing"), Quiet: true, Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), "nothing") {
		t.Fatalf("resume from nothing: %v", err)
	}
	err = Run(set(&Options{Resume: out, Quiet: true, Stdout: &stdout, Stderr: &stderr}, "hidden=8"))
	if err == nil || !strings.Contains(err.Error(), "--hidden cannot change") {
		t.Fatalf("architecture change on resume: %v", err)
	}
}

// TestImageRunBadInputs: bad image data is reported naming the file, before any run directory exists;
// resuming an image run continues it; a finished run's checkpoint is the image family's.
func TestImageRunBadInputs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), []byte("not idx at all, long enough"), 0o644)
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), []byte("x"), 0o644)
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	err := Run(&Options{Family: "image", Preset: "mnist", Data: dir, Out: out, Quiet: true, Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "train-images-idx3-ubyte")) || !strings.Contains(err.Error(), "magic") {
		t.Fatalf("want an error naming the idx file, got %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a run directory was created for bad data")
	}
	err = Run(&Options{Family: "image", Preset: "cifar10", Data: t.TempDir(), Out: out, Quiet: true, Stdout: &stdout, Stderr: &stderr})
	if err == nil || !strings.Contains(err.Error(), "data_batch_1.bin") {
		t.Fatalf("missing CIFAR-10 files: %v", err)
	}
}

// TestImageResume: a short image run, resumed to more iterations, continues from its checkpoint.
func TestImageResume(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	o := set(&Options{Family: "image", Out: run, Quiet: true, NoEval: true, Stdout: &stdout, Stderr: &stderr}, "ngf=2 ebm-width=8 z=2 k0=2 k1=2 iterations=2 batch=10")
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	o = set(&Options{Resume: run, JSON: true, Quiet: true, Stdout: &stdout, Stderr: &stderr}, "iterations=4 eval-images=20")
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), `"iterations": 4`) || !strings.Contains(stdout.String(), `"images": 20`) {
		t.Fatalf("resumed summary: %s", stdout.String())
	}
	o = set(&Options{Resume: run, Family: "image", Stdout: &stdout, Stderr: &stderr}, "ngf=4")
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "--ngf cannot change") {
		t.Fatalf("architecture change on resume: %v", err)
	}
}

// tinyOptions are a fresh tiny training into out (the embedded corpus, a few iterations).
func tinyOptions(out string, iterations int) *Options {
	var buf bytes.Buffer
	o := &Options{Out: out, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}
	return set(o, fmt.Sprintf("embed=8 hidden=16 z=4 ebm-width=8 k0=2 k1=2 batch=8 save-every=2 log-every=1 iterations=%d", iterations))
}

// resumeOptions continue the run at from to iterations in all.
func resumeOptions(from string, iterations int) *Options {
	var buf bytes.Buffer
	return set(&Options{Resume: from, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}, fmt.Sprintf("iterations=%d", iterations))
}

// set sets hyperparameter flags of o ("name=value ...") as the command line would, and returns o.
func set(o *Options, flags string) *Options {
	for _, f := range strings.Fields(flags) {
		name, value, _ := strings.Cut(f, "=")
		if err := o.Set(name, value); err != nil {
			panic(err)
		}
	}
	return o
}

// textConfig is the text configuration the options would train.
func textConfig(o *Options) (*text.Config, error) {
	c, err := o.Configure()
	if err != nil {
		return nil, err
	}
	return c.(*text.Config), nil
}

// imageConfig is the image configuration the options would train.
func imageConfig(o *Options) (*image.Config, error) {
	c, err := o.Configure()
	if err != nil {
		return nil, err
	}
	return c.(*image.Config), nil
}

// flag is the value of a bound flag of o.
func flag(o *Options, name string) string { return o.flags.Lookup(name).Value.String() }

// TestRunDirectoryLocked: a run directory in use by another writer is refused, naming the holder, to a
// fresh training and to a resume; two trainings started together into one directory leave one run whose
// log holds one sequence of steps; --resume A --out B refuses a B that holds another run and leaves it as
// it was.
func TestRunDirectoryLocked(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	unlock, err := ckpt.Lock(out, "a test holding the lock")
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(tinyOptions(out, 2)); !errors.Is(err, ckpt.ErrLocked) || !strings.Contains(err.Error(), "a test holding the lock") {
		t.Errorf("fresh training into a locked directory: %v", err)
	}
	unlock()

	together := filepath.Join(t.TempDir(), "run")
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- Run(tinyOptions(together, 6)) }()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("two trainings into one directory: %v and %v (want exactly one refused)", e1, e2)
	}
	if e := errors.Join(e1, e2); !errors.Is(e, ckpt.ErrLocked) && !strings.Contains(e.Error(), "already holds a run") {
		t.Errorf("the refusal: %v", e)
	}
	recs, err := clix.ReadJSONLines[learn.Record](filepath.Join(together, "log.jsonl"))
	if err != nil || len(recs) != 6 {
		t.Fatalf("log of the run: %d records (%v), want 6", len(recs), err)
	}
	for i, r := range recs {
		if r.Step != i+1 {
			t.Fatalf("log steps %v: not one run's", recs)
		}
	}

	unlock, err = ckpt.Lock(together, "a reader that writes")
	if err != nil {
		t.Fatal(err)
	}
	res := resumeOptions(together, 8)
	if err := Run(res); !errors.Is(err, ckpt.ErrLocked) {
		t.Errorf("resume of a locked run: %v", err)
	}
	unlock()

	other := filepath.Join(t.TempDir(), "other")
	if err := Run(tinyOptions(other, 2)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(other, ckpt.LatestFile))
	res.Out = other
	if err := Run(res); err == nil || !strings.Contains(err.Error(), "holds another run") {
		t.Errorf("--resume A --out B with B holding a run: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(other, ckpt.LatestFile)); string(after) != string(before) {
		t.Errorf("B's latest changed: %q -> %q", before, after)
	}
}

// TestResumeCutsTheLogBack: a run killed after its step-2 checkpoint had logged steps 3 and 4, the last
// torn mid-write; resuming from step 2 leaves a log of steps 1..6 once each that every reader parses,
// and the torn line is not glued to the next record. A reader of the killed run skips the torn line.
func TestResumeCutsTheLogBack(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(tinyOptions(out, 4)); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(out, LogFile)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	killed := strings.Join(lines[:3], "") + lines[3][:len(lines[3])/2] // steps 1-3, then half of step 4
	if err := os.WriteFile(log, []byte(killed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, ckpt.LatestFile), []byte("step-00000002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if recs, err := clix.ReadJSONLines[learn.Record](log); err != nil || len(recs) != 3 {
		t.Fatalf("reading the killed run's log: %d records, %v", len(recs), err)
	}
	res := resumeOptions(out, 6)
	var stderr bytes.Buffer
	res.Stderr = &stderr
	if err := Run(res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "removed 1 records after step 2") || !strings.Contains(stderr.String(), "torn last line") {
		t.Errorf("stderr does not say what was cut: %s", stderr.String())
	}
	recs, err := clix.ReadJSONLines[learn.Record](log)
	if err != nil || len(recs) != 6 {
		t.Fatalf("log after the resume: %d records (%v), want 6", len(recs), err)
	}
	for i, r := range recs {
		if r.Step != i+1 {
			t.Fatalf("log steps after the resume: %v", recs)
		}
	}
}

// TestBlownUpTrainingKeepsTheLastGoodStep: with a learning rate that blows the decoder's parameters up
// (finite losses and gradients, absurd updates), training stops with an error naming the cause, and the
// run's latest checkpoint is the last good one (the fresh run's step 0), never the blown-up model.
func TestBlownUpTrainingKeepsTheLastGoodStep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	o := tinyOptions(out, 4)
	set(o, "lr-gen=1e38 save-every=1")
	err := Run(o)
	if err == nil || !strings.Contains(err.Error(), "max |variable| after the update") || !strings.Contains(err.Error(), "step-00000000") {
		t.Fatalf("training with --lr-gen 1e38: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, ckpt.LatestFile)); strings.TrimSpace(string(b)) != "step-00000000" {
		t.Errorf("latest names %q, want the last good step-00000000", b)
	}
}

// writeTextCorpus writes a small corpus directory (the first n sentences of each embedded split, each
// with word appended) and returns it.
func writeTextCorpus(t *testing.T, n int, word string) string {
	t.Helper()
	c, err := text.LoadCorpus("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, sents := range map[string][][]string{"train": c.Train[:n], "valid": c.Valid[:n], "test": c.Test[:n]} {
		var b strings.Builder
		for _, s := range sents {
			b.WriteString(strings.Join(append(s, word), " ") + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunRecordsItsData: a relative --data is recorded absolute; a resume may point --data at a moved
// copy of the run's corpus (the new place is recorded), but other data is refused unless --new-data.
func TestRunRecordsItsData(t *testing.T) {
	corpus := writeTextCorpus(t, 200, "x")
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, corpus)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	o := tinyOptions(out, 2)
	o.Data, o.Preset = rel, "embedded"
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	info := func() text.RunInfo {
		var ri text.RunInfo
		dir, err := ckpt.Resolve(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := ckpt.ReadJSON(filepath.Join(dir, ckpt.HParamsFile), &ri); err != nil {
			t.Fatal(err)
		}
		return ri
	}
	if ri := info(); ri.Data != corpus || ri.TrainDigest == "" {
		t.Fatalf("recorded data %q (digest %q), want %q", ri.Data, ri.TrainDigest, corpus)
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(corpus, moved); err != nil {
		t.Fatal(err)
	}
	resume := func(iterations int, data string, newData bool) error {
		r := resumeOptions(out, iterations)
		r.Data, r.NewData = data, newData
		return Run(r)
	}
	if err := resume(3, "", false); err == nil || !strings.Contains(err.Error(), "give --data with its new place") {
		t.Errorf("resume after the corpus moved, without --data: %v", err)
	}
	if err := resume(3, moved, false); err != nil {
		t.Fatalf("resume with --data at the moved corpus: %v", err)
	}
	if ri := info(); ri.Data != moved {
		t.Errorf("after the resume the run records %q, want %q", ri.Data, moved)
	}
	other := writeTextCorpus(t, 200, "y")
	if err := resume(4, other, false); err == nil || !strings.Contains(err.Error(), "--new-data") {
		t.Errorf("resume on other data: %v", err)
	}
	if err := resume(4, other, true); err != nil {
		t.Errorf("resume on other data with --new-data: %v", err)
	}
}

// TestRejectsMeaninglessBudgets: a negative --max-time, --encoder-rate without an inference network, and
// a resume whose --iterations ends before the run's step are refused, saying why.
func TestRejectsMeaninglessBudgets(t *testing.T) {
	o := tinyOptions(filepath.Join(t.TempDir(), "a"), 2)
	o.MaxTime = -time.Second
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "--max-time") {
		t.Errorf("--max-time -1s: %v", err)
	}
	o = tinyOptions(filepath.Join(t.TempDir(), "b"), 2)
	o.Preset = "embedded-paper" // no inference network (the default preset has one)
	set(o, "encoder-rate="+learn.RateBase)
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "--posterior-init encoder") {
		t.Errorf("--encoder-rate without an encoder: %v", err)
	}
	out := filepath.Join(t.TempDir(), "c")
	if err := Run(tinyOptions(out, 4)); err != nil {
		t.Fatal(err)
	}
	r := resumeOptions(out, 2)
	if err := Run(r); err == nil || !strings.Contains(err.Error(), "the run is at iteration 4") {
		t.Errorf("resume with --iterations 2 at step 4: %v", err)
	}
}

// TestEmbeddedRunReportsTopics: a run on the embedded corpus says how it learns, reports the topic
// measures (in text and in --json) and ends with the verdict on the latent.
func TestEmbeddedRunReportsTopics(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		o := tinyOptions(filepath.Join(t.TempDir(), "run"), 3)
		var stdout bytes.Buffer
		o.Stdout, o.NoEval, o.JSON = &stdout, false, asJSON
		set(o, "eval-chains=2 eval-samples=4 logz-samples=1000 eval-sentences=20")
		if err := Run(o); err != nil {
			t.Fatal(err)
		}
		if asJSON {
			var sum text.TrainReport
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Topics == nil || sum.Topics.Sentences != 20 || sum.Topics.Settings.Samples != 1000 || !strings.Contains(sum.Learning, "not the paper's") {
				t.Errorf("--json: topics %+v, learning %q", sum.Topics, sum.Learning)
			}
			continue
		}
		out := stdout.String()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, want := range []string{"learning: not the paper's", "bag-of-words loss", "topics (weather, sport, food, money)",
			"nearest-centroid topic accuracy", "prior samples: topic TV"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "latent: ") {
			t.Errorf("last line %q is not the verdict", last)
		}
	}
}

// TestWarnsOfAnAllUnknownTestSplit: training on a corpus whose test split shares no word with the
// training split warns that the splits may not be of one corpus, and trains.
func TestWarnsOfAnAllUnknownTestSplit(t *testing.T) {
	corpus := writeTextCorpus(t, 200, "x")
	if err := os.WriteFile(filepath.Join(corpus, "test.txt"), []byte("zzz qqq\nqqq\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	o := tinyOptions(filepath.Join(t.TempDir(), "run"), 1)
	o.Data, o.Preset, o.Stderr = corpus, "embedded", &stderr
	if err := Run(o); err != nil || !strings.Contains(stderr.String(), "100.0% of the words of the test split are <unk>") {
		t.Fatalf("an all-<unk> test split: %v, stderr %q", err, stderr.String())
	}
}

// TestKeepsTheBestCheckpointByValidation: with --eval-every the run keeps the checkpoint of the lowest
// validation NLL among its diagnoses (best.json, RUN/best), which --keep never prunes; the final evaluation
// is that checkpoint's and says so; a resumed run continues from the best it recorded.
func TestKeepsTheBestCheckpointByValidation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var stdout, stderr bytes.Buffer
	o := set(tinyOptions(out, 12), "eval-every=2 eval-every-sentences=8 eval-chains=2 eval-samples=2 logz-samples=100 eval-sentences=10 keep=1 save-every=4")
	o.NoEval, o.Stdout, o.Stderr = false, &stdout, &stderr
	if err := Run(o); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	best, ok, err := ckpt.ReadBest(out)
	if err != nil || !ok {
		t.Fatalf("no best checkpoint: %v", err)
	}
	recs, err := run.ReadJSONLines[struct {
		Step     int      `json:"step"`
		Kind     string   `json:"kind"`
		ValidNLL *float64 `json:"valid_nll"`
	}](filepath.Join(out, run.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	lowest, at := math.Inf(1), 0
	for _, r := range recs {
		if r.Kind == "diagnosis" && *r.ValidNLL < lowest {
			lowest, at = *r.ValidNLL, r.Step
		}
	}
	if best.Step != at || best.ValidNLL != lowest || best.Sentences != 8 {
		t.Errorf("best %+v; the diagnoses' lowest validation NLL is %v at step %d", best, lowest, at)
	}
	entries, _ := filepath.Glob(filepath.Join(out, "step-*"))
	want := []string{filepath.Join(out, best.Checkpoint), filepath.Join(out, "step-00000012")}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(entries, want) {
		t.Errorf("--keep 1 left %v, want the newest and the best: %v", entries, want)
	}
	if !strings.Contains(stdout.String(), "evaluated: "+filepath.Join(out, best.Checkpoint)+", the best of the diagnoses by validation NLL") {
		t.Errorf("the final evaluation does not say it is the best checkpoint's:\n%s", stdout.String())
	}
	if dir, err := ckpt.Resolve(filepath.Join(out, ckpt.BestName)); err != nil || dir != filepath.Join(out, best.Checkpoint) {
		t.Errorf("RUN/best resolves to %q (%v), want %s", dir, err, best.Checkpoint)
	}
	// Resumed with the same diagnoses, the selection continues from the recorded best.
	r := set(resumeOptions(out, 14), "eval-every=2 eval-every-sentences=8")
	if err := Run(r); err != nil {
		t.Fatal(err)
	}
	again, _, _ := ckpt.ReadBest(out)
	if again.ValidNLL > best.ValidNLL {
		t.Errorf("after resuming, the best went from %v to the worse %v", best.ValidNLL, again.ValidNLL)
	}
	// Resumed without diagnoses, nothing is selected: the final evaluation is the last checkpoint's, and
	// says so; the record of the best stays.
	stdout.Reset()
	r = set(resumeOptions(out, 16), "eval-chains=2 eval-samples=2 logz-samples=100 eval-sentences=10")
	r.NoEval, r.Stdout = false, &stdout
	if err := Run(r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "evaluated: "+filepath.Join(out, "step-00000016")+", the last checkpoint") {
		t.Errorf("a resume without --eval-every evaluated another checkpoint than its last:\n%s", stdout.String())
	}
	if kept, ok, _ := ckpt.ReadBest(out); !ok || kept != again {
		t.Errorf("the best's record changed to %+v (%v), want %+v", kept, ok, again)
	}
}

// TestDiagnosesByTime: --eval-every-time diagnoses when the time has passed since the last diagnosis began
// (a nanosecond: after every iteration) and at the run's last iteration, and selects on them as
// --eval-every does; each diagnosis records its own seconds and the run's elapsed seconds, which grow.
func TestDiagnosesByTime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	o := set(tinyOptions(out, 3), "eval-every-time=1ns eval-every-sentences=8")
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	recs, err := run.ReadJSONLines[struct {
		Step    int     `json:"step"`
		Kind    string  `json:"kind"`
		Seconds float64 `json:"seconds"`
		Elapsed float64 `json:"elapsed_s"`
	}](filepath.Join(out, run.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	last := 0.0
	for _, r := range recs {
		if r.Kind == "diagnosis" {
			if r.Seconds <= 0 || r.Elapsed <= last {
				t.Errorf("diagnosis at %d: %v s, run elapsed %v after %v", r.Step, r.Seconds, r.Elapsed, last)
			}
			steps, last = append(steps, r.Step), r.Elapsed
		}
	}
	if !slices.Equal(steps, []int{1, 2, 3}) {
		t.Errorf("diagnosed at %v, want every iteration", steps)
	}
	if _, ok, err := ckpt.ReadBest(out); err != nil || !ok {
		t.Errorf("no best checkpoint from the timed diagnoses: %v", err)
	}
	// An interval longer than the run: one diagnosis, at its last iteration, which is then its best.
	out = filepath.Join(t.TempDir(), "run")
	if err := Run(set(tinyOptions(out, 3), "eval-every-time=1h eval-every-sentences=8")); err != nil {
		t.Fatal(err)
	}
	diags, err := run.ReadJSONLines[struct {
		Step int    `json:"step"`
		Kind string `json:"kind"`
	}](filepath.Join(out, run.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	steps = steps[:0]
	for _, r := range diags {
		if r.Kind == "diagnosis" {
			steps = append(steps, r.Step)
		}
	}
	if best, ok, _ := ckpt.ReadBest(out); !slices.Equal(steps, []int{3}) || !ok || best.Step != 3 {
		t.Errorf("diagnosed at %v (best %+v, %v), want once, at the last iteration", steps, best, ok)
	}
}
