package reproduce

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
)

// TestPlanBudget: --max-time is shared as documented (evaluations EvalShare, at most MaxEvalSeconds; the
// LM LMShare of the rest; the latent models equal parts), the parts sum to the whole, and a budget below
// MinBudget is refused naming the minimum.
func TestPlanBudget(t *testing.T) {
	for _, total := range []time.Duration{2 * time.Hour, 20 * time.Minute, MinBudget()} {
		b, err := PlanBudget(total)
		if err != nil {
			t.Fatalf("%v: %v", total, err)
		}
		sum := 0.0
		for _, s := range BudgetStages {
			sum += b.Plan[s]
		}
		eval := math.Min(EvalShare*total.Seconds(), MaxEvalSeconds)
		if math.Abs(sum-total.Seconds()) > 1e-6 || math.Abs(b.Plan[StageEvalEBM]+b.Plan[StageEvalGaussian]-eval) > 1e-6 ||
			math.Abs(b.Plan[StageLM]-LMShare*(total.Seconds()-eval)) > 1e-6 || b.Plan[StageEBM] != b.Plan[StageGaussian] {
			t.Errorf("%v: plan %v", total, b.Plan)
		}
	}
	if b, _ := PlanBudget(2 * time.Hour); b.Plan[StageEvalEBM] != MaxEvalSeconds/2 {
		t.Errorf("2h: evaluations %v, want %d s in all", b.Plan[StageEvalEBM]*2, MaxEvalSeconds)
	}
	_, err := PlanBudget(MinBudget() - time.Second)
	if err == nil || !strings.Contains(err.Error(), MinBudget().String()) {
		t.Errorf("a budget below the minimum: %v", err)
	}
}

// TestAllowanceFlows: a stage may spend its plan plus what the stages before it left (or less what they
// overran), and what it spent is recorded in the budget's file, where a later process finds it.
func TestAllowanceFlows(t *testing.T) {
	dir := t.TempDir()
	b := &Budget{Total: 100, Spent: map[string]float64{}, Plan: map[string]float64{
		StageEBM: 40, StageGaussian: 40, StageLM: 10, StageEvalEBM: 5, StageEvalGaussian: 5}}
	if err := b.Attach(dir); err != nil {
		t.Fatal(err)
	}
	b.Spent[StageEBM] = 30 // 10 s left over
	if got := b.Allowance(StageGaussian); got != 50*time.Second {
		t.Errorf("after a stage left 10 s: allowance %v, want 50s", got)
	}
	b.Spent[StageGaussian] = 55 // 5 s overrun: the LM has 10 - 5
	if got := b.Allowance(StageLM); got != 5*time.Second {
		t.Errorf("after an overrun of 5 s: allowance %v, want 5s", got)
	}
	b.Spent[StageLM] = 30
	if got := b.Allowance(StageEvalEBM); got != 0 {
		t.Errorf("after the budget is spent: allowance %v, want 0", got)
	}
	if err := b.Run(StageEvalEBM, func() error { time.Sleep(20 * time.Millisecond); return nil }); err != nil {
		t.Fatal(err)
	}
	again, found, err := LoadBudget(dir)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if s := again.Spent[StageEvalEBM]; s < 0.02 || s > 5 || again.Spent[StageEBM] != 30 || again.Total != 100 {
		t.Errorf("recorded spending %v", again.Spent)
	}
	if left := again.Left(); left > 0 {
		t.Errorf("left %v of an overspent budget", left)
	}
}

// TestBudgetRecordsWhileRunning: a stage that runs longer than BudgetTick has its spending in the file
// before it ends (a killed process loses at most a tick).
func TestBudgetRecordsWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a budget tick")
	}
	dir := t.TempDir()
	b, err := PlanBudget(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Attach(dir); err != nil {
		t.Fatal(err)
	}
	seen := make(chan float64, 1)
	err = b.Run(StageEBM, func() error {
		time.Sleep(BudgetTick + time.Second)
		on, _, err := LoadBudget(dir)
		if err != nil {
			return err
		}
		seen <- on.Spent[StageEBM]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := <-seen; s < BudgetTick.Seconds()-1 {
		t.Errorf("spending on file during the stage: %v s, want about %v", s, BudgetTick)
	}
}

// TestBudgetBadInput: a corpus without valid.txt is refused naming it, a budget below the minimum before
// anything is written, and a reproduction planned for another --max-time is not continued under a new one.
func TestBudgetBadInput(t *testing.T) {
	data := t.TempDir()
	for _, f := range []string{"train.txt", "test.txt"} {
		if err := os.WriteFile(filepath.Join(data, f), []byte("a b c\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "repro")
	err := Run(&Options{Corpus: "ptb", Data: data, Out: out})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(data, "valid.txt")) {
		t.Errorf("no valid.txt: %v", err)
	}
	if err := os.WriteFile(filepath.Join(data, "valid.txt"), []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = Run(&Options{Corpus: "ptb", Data: data, Out: out, MaxTime: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "at least "+MinBudget().String()) {
		t.Errorf("--max-time 1m: %v", err)
	}
	if _, serr := os.Stat(out); !os.IsNotExist(serr) {
		t.Errorf("a refused reproduction wrote %s (%v)", out, serr)
	}
	b, _ := PlanBudget(time.Hour)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.Attach(out); err != nil {
		t.Fatal(err)
	}
	err = Run(&Options{Corpus: "ptb", Data: data, Out: out, MaxTime: 2 * time.Hour})
	if err == nil || !strings.Contains(err.Error(), "--max-time 1h0m0s") {
		t.Errorf("another --max-time over a planned reproduction: %v", err)
	}
	err = Run(&Options{Corpus: "ptb", Data: data, Out: out})
	if err == nil || !strings.Contains(err.Error(), "--max-time 1h0m0s") {
		t.Errorf("no --max-time over a planned reproduction: %v", err)
	}
	unbudgeted := filepath.Join(t.TempDir(), "repro")
	if err := os.MkdirAll(filepath.Join(unbudgeted, StageEBM), 0o755); err != nil {
		t.Fatal(err)
	}
	err = Run(&Options{Corpus: "ptb", Data: data, Out: unbudgeted, MaxTime: time.Hour})
	if err == nil || !strings.Contains(err.Error(), "started without --max-time") {
		t.Errorf("--max-time over a reproduction started without: %v", err)
	}
}

// TestBothEvaluationsScoreTheSameSentences: under a budget both latent models' evaluations cover the
// same first test sentences, the fewer that either model's speed allows; an evaluation already saved
// fixes the number.
func TestBothEvaluationsScoreTheSameSentences(t *testing.T) {
	out, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "test.txt"), []byte(strings.Repeat("a b\n", 3761)), 0o644); err != nil {
		t.Fatal(err)
	}
	for stage, secs := range map[string]int{StageEBM: 50, StageGaussian: 100} { // 10 and 5 sentences per second
		if err := os.MkdirAll(filepath.Join(out, stage), 0o755); err != nil {
			t.Fatal(err)
		}
		rec := fmt.Sprintf(`{"step":20,"kind":"diagnosis","valid_sentences":500,"seconds":%d}`+"\n", secs)
		if err := os.WriteFile(filepath.Join(out, stage, "log.jsonl"), []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := &Budget{Total: 1000, Spent: map[string]float64{StageEBM: 300, StageGaussian: 300, StageLM: 100}, Plan: map[string]float64{
		StageEBM: 300, StageGaussian: 300, StageLM: 100, StageEvalEBM: 150, StageEvalGaussian: 150}}
	o := &Options{Out: out}
	got, err := o.evalSentences(data, b)
	if want := int(0.9 * 5 * (150 - EvalFixedSeconds)); err != nil || got != want {
		t.Errorf("%d sentences (%v), want the slower model's %d", got, err, want)
	}
	if err := clix.SaveResult(filepath.Join(out, StageEBM, EvalFile), &Evaluation{MaxSentences: 123}); err != nil {
		t.Fatal(err)
	}
	if got, err := o.evalSentences(data, b); err != nil || got != 123 {
		t.Errorf("after a saved evaluation of 123 sentences: %d (%v)", got, err)
	}
	if got, _ := (&Options{Out: out, EvalFlags: "--max-sentences 7"}).evalSentences(data, b); got != 0 {
		t.Errorf("--eval-flags --max-sentences: the budget chose %d", got)
	}
}

// TestSentencesFor: a budgeted evaluation covers the test sentences its allowance buys at the speed of
// the run's last diagnosis, all of them when they fit, at least MinEvalSentences.
func TestSentencesFor(t *testing.T) {
	run, data := t.TempDir(), t.TempDir()
	log := `{"step":10,"iteration_s":0.3}
{"step":10,"kind":"diagnosis","valid_sentences":100,"seconds":20}
{"step":20,"kind":"diagnosis","valid_sentences":500,"seconds":50}
`
	if err := os.WriteFile(filepath.Join(run, "log.jsonl"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "test.txt"), []byte(strings.Repeat("a b\n\n", 3761)), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &Options{}
	for _, c := range []struct {
		allowance time.Duration
		want      int
	}{
		{300 * time.Second, int(0.9 * 10 * (300 - EvalFixedSeconds))}, // 10 sentences per second
		{1000 * time.Second, 0}, // the whole split fits
		{95 * time.Second, MinEvalSentences},
	} {
		if got, err := o.sentencesFor(run, data, c.allowance); err != nil || got != c.want {
			t.Errorf("allowance %v: %d sentences (%v), want %d", c.allowance, got, err, c.want)
		}
	}
}
