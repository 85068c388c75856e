package lm

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
)

func TestFlagParsing(t *testing.T) {
	var got *TrainOptions
	cmd := NewCmd(func(o *TrainOptions) error { got = o; return nil }, func(*EvalOptions) error { return nil })
	if _, err := clitest.Execute(cmd, "train", "--preset", "ptb", "--hidden", "64", "--iterations", "10", "--lr", "0.01"); err != nil {
		t.Fatal(err)
	}
	cfg, err := got.Resolve()
	if err != nil || cfg.HiddenDim != 64 || cfg.EmbedDim != 128 || cfg.Iterations != 10 || cfg.LR != 0.01 || cfg.VocabSize != 10004 {
		t.Fatalf("%+v %v", cfg, err)
	}
	cmd = NewCmd(func(o *TrainOptions) error { got = o; return nil }, func(*EvalOptions) error { return nil })
	if _, err := clitest.Execute(cmd, "train"); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := got.Resolve(); cfg.HiddenDim != 64 || cfg.MaxLen != 16 { // the embedded preset
		t.Fatalf("%+v", cfg)
	}
	var ev *EvalOptions
	cmd = NewCmd(func(*TrainOptions) error { return nil }, func(o *EvalOptions) error { ev = o; return nil })
	if _, err := clitest.Execute(cmd, "eval", "ck", "--split", "valid"); err != nil || ev.Checkpoint != "ck" || ev.Split != "valid" {
		t.Fatalf("%+v %v", ev, err)
	}
	cmd = NewCmd(func(*TrainOptions) error { return nil }, func(o *EvalOptions) error { return nil })
	if out, err := clitest.Execute(cmd, "eval"); err == nil || !strings.Contains(out, "Usage:") {
		t.Fatalf("missing checkpoint: %v", err)
	}
}

func TestTrainAndEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lm")
	var buf bytes.Buffer
	cmd := NewCmd(RunTrain, RunEval)
	if _, err := clitest.Execute(cmd, "train", "--out", out, "--iterations", "20", "--hidden", "16", "--embed", "8", "--quiet", "--json"); err != nil {
		t.Fatal(err)
	}
	if s, err := clitest.Execute(NewCmd(RunTrain, func(o *EvalOptions) error { o.Stdout = &buf; return RunEval(o) }), "eval", out, "--json"); err != nil {
		t.Fatal(err, s)
	}
	var r Result
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil || r.Scores["test"].PPL <= 1 || r.Scores["test"].Sentences != 400 {
		t.Fatalf("%+v %v: %s", r, err, buf.String())
	}
}
