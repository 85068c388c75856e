package reproduce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/text"
)

// TestPublishedNumbers: the published rows are the paper's Table 2 as DESIGN.md and the issue quote it,
// and Texar's VAE-LSTM rows as its two READMEs print them; each names its source and protocol.
func TestPublishedNumbers(t *testing.T) {
	type nums struct {
		model                string
		fppl, rppl, nll, ppl float64
	}
	want := map[string][]nums{
		"ptb": {
			{"latent EBM (Pang et al. 2020)", 107.45, 181.54, 91.35, 0},
			{"SA-VAE", 147.92, 210.02, 101.28, 0},
			{"FB-VAE", 145.32, 204.11, 92.89, 0},
			{"ARAE", 165.23, 232.93, 91.31, 0},
			{"real-data LSTM LM", 0, 0, 0, 100.36},
			{"VAE-LSTM (Texar)", 0, 0, 102.10, 105.48},
			{"VAE-LSTM (Texar-PyTorch)", 0, 0, 102.54, 107.64},
		},
		"snli":  {{"latent EBM (Pang et al. 2020)", 27.81, 31.96, 28.90, 0}},
		"yahoo": {{"latent EBM (Pang et al. 2020)", 80.91, 118.08, 321.18, 0}},
	}
	if len(PaperRows) != len(want) {
		t.Fatalf("published rows for %d corpora, want %d", len(PaperRows), len(want))
	}
	for corpus, rows := range want {
		got := PaperRows[corpus]
		if len(got) != len(rows) {
			t.Fatalf("%s: %d published rows, want %d", corpus, len(got), len(rows))
		}
		for i, w := range rows {
			g := got[i]
			if (nums{g.Model, g.FPPL, g.RPPL, g.NLL, g.PPL}) != w || g.Source == "" || g.Protocol == "" {
				t.Errorf("%s row %d: %+v, want %+v with a source and a protocol", corpus, i, g, w)
			}
		}
	}
	for _, c := range Corpora {
		if _, err := text.Preset(c); err != nil || PaperRows[c] == nil {
			t.Errorf("corpus %s: preset %v, published rows %v", c, err, PaperRows[c])
		}
	}
}

// TestPaperGap: the paper's PTB NLL as a perplexity over words + </s> (exp(91.35 * sentences / tokens)),
// computed on the sentences given, and nothing for other corpora.
func TestPaperGap(t *testing.T) {
	got := paperGap("ptb", text.LMScore{Sentences: 3761, Tokens: 82430})
	if want := fmt.Sprintf("PPL of %.1f", math.Exp(91.35*3761/82430.0)); !strings.Contains(got, want) || !strings.Contains(got, "3761 test sentences") {
		t.Errorf("gap note %q lacks %q", got, want)
	}
	if paperGap("snli", text.LMScore{Sentences: 1, Tokens: 2}) != "" {
		t.Error("a gap note for snli")
	}
}

// TestFlags: the command's flags reach the options.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want func(*Options) bool
	}{
		{[]string{"ptb", "--data", "d", "--out", "o"}, func(o *Options) bool {
			return o.Corpus == "ptb" && o.Data == "d" && o.Out == "o" && o.Iterations == 0 && o.MaxTime == 0 && !o.Quiet
		}},
		{[]string{"yahoo", "--iterations", "7", "--max-time", "2h", "--lm-iterations", "9", "--quiet", "--json"}, func(o *Options) bool {
			return o.Corpus == "yahoo" && o.Iterations == 7 && o.MaxTime == 2*time.Hour && o.LMIterations == 9 && o.Quiet && o.JSON
		}},
		{[]string{"snli", "--train-flags", "--hidden 8", "--eval-flags", "--chains 2"}, func(o *Options) bool {
			return o.TrainFlags == "--hidden 8" && o.EvalFlags == "--chains 2"
		}},
	} {
		var got *Options
		cmd := NewCmd(&Options{}, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err != nil || !tc.want(got) {
			t.Errorf("%v: %+v (%v)", tc.args, got, err)
		}
	}
	for _, bad := range []Options{{Corpus: "wiki", Data: "d", Out: "o"}, {Corpus: "ptb", Out: "o"}, {Corpus: "ptb", Data: "d"},
		{Corpus: "ptb", Data: "d", Out: "o", Iterations: -1},
		{Corpus: "ptb", Data: "d", Out: "o", TrainFlags: "--hidden 8 --prior gaussian"},
		{Corpus: "ptb", Data: "d", Out: "o", EvalFlags: "--chains 2 --split=valid"}} {
		if err := Run(&bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestReproduceTinyBudget runs the whole protocol at a tiny budget: every measured column is filled and
// finite, the published rows follow; a rerun after an evaluation is lost redoes that evaluation only
// (the trained models, the language model and the other evaluation are not touched).
func TestReproduceTinyBudget(t *testing.T) {
	out, data := t.TempDir(), clitest.WriteCorpus(t, 0)
	opts := func() *Options {
		var o bytes.Buffer
		return &Options{Corpus: "ptb", Data: data, Out: out, Iterations: 4, Quiet: true, JSON: true,
			TrainFlags: "--embed 8 --hidden 16 --vocab-size 60 --max-len 12 --k0 2 --k1 2 --z 4",
			EvalFlags:  "--max-sentences 12 --chains 2 --samples 4 --logz-samples 50 --gen-samples 12 --lm-iterations 2",
			Stdout:     &o, Stderr: &bytes.Buffer{}}
	}
	o := opts()
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	var tab Table
	if err := json.Unmarshal(o.Stdout.(*bytes.Buffer).Bytes(), &tab); err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 3+len(PaperRows["ptb"]) {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	for _, r := range tab.Rows[:2] {
		for name, v := range map[string]*float64{"NLL": r.NLL, "NLL s.e.": r.NLLSE, "PPL": r.PPL, "FPPL": r.FPPL, "RPPL": r.RPPL,
			"BLEU": r.BLEU, "word KL": r.WordKL, "MI": r.MI, "MI floor": r.MIFloor, "MI_He": r.MIHe, "MI_He floor": r.MIHeFloor,
			"s/it": r.SecondsPerIt, "wall": r.WallSeconds} {
			if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) || (name != "BLEU" && name != "MI floor" && *v < 0) {
				t.Errorf("%s: %s is %v", r.Model, name, v)
			}
		}
		if r.AU == nil || r.AUFloor == nil || r.Iterations == nil || *r.Iterations != 4 {
			t.Errorf("%s: AU %v floor %v iterations %v", r.Model, r.AU, r.AUFloor, r.Iterations)
		}
	}
	if lm := tab.Rows[2]; lm.PPL == nil || lm.NLL == nil || *lm.PPL <= 1 {
		t.Errorf("real-data LM row: %+v", lm)
	}
	if p := tab.Rows[3]; p.Source == "measured" || *p.FPPL != 107.45 {
		t.Errorf("first published row: %+v", p)
	}
	md, err := os.ReadFile(filepath.Join(out, "table.md"))
	if err != nil || !strings.Contains(string(md), "| latent EBM prior (lebm) | measured |") || !strings.Contains(string(md), "107.45") {
		t.Fatalf("table.md: %v\n%s", err, md)
	}
	// Each latent model's checkpoint was selected on validation sentences and evaluated on the test split once.
	for _, stage := range []string{StageEBM, StageGaussian} {
		best, ok, err := ckpt.ReadBest(filepath.Join(out, stage))
		var e Evaluation
		found, lerr := clix.LoadResult(filepath.Join(out, stage, EvalFile), &e)
		if err != nil || !ok || lerr != nil || !found || e.Checkpoint != filepath.Join(out, stage, ckpt.BestName) || e.Result.Split != "test" {
			t.Errorf("stage %s: best %+v (%v, %v), evaluated %q on %q", stage, best, ok, err, e.Checkpoint, e.Result.Split)
		}
		if !strings.Contains(string(md), fmt.Sprintf("the checkpoint of iteration %d", best.Step)) || !strings.Contains(string(md), "evaluated on the test split once") {
			t.Errorf("table.md does not say how stage %s's checkpoint was chosen:\n%s", stage, md)
		}
	}

	// Lose the gaussian evaluation; rerun: only it is redone.
	kept := []string{"ebm/sweep_result.json", "ebm/reproduce_eval.json", "ebm/latest", "gaussian/sweep_result.json", "gaussian/latest", "lm/reproduce_lm.json", "lm/latest"}
	before := map[string]time.Time{}
	for _, f := range kept {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		before[f] = st.ModTime()
	}
	if err := os.Remove(filepath.Join(out, "gaussian", EvalFile)); err != nil {
		t.Fatal(err)
	}
	o = opts()
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	for _, f := range kept {
		if st, _ := os.Stat(filepath.Join(out, f)); !st.ModTime().Equal(before[f]) {
			t.Errorf("%s was rewritten by the rerun", f)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "gaussian", EvalFile)); err != nil {
		t.Errorf("the lost evaluation was not redone: %v", err)
	}
	// Another language-model budget against its saved stage: refused, naming the file.
	o = opts()
	o.LMIterations = 3
	if err := Run(o); err == nil || !strings.Contains(err.Error(), LMFile) {
		t.Errorf("a changed LM budget over its finished stage: %v", err)
	}
	// Other budget flags against saved stages: refused, naming the file.
	o = opts()
	o.Iterations = 5
	if err := Run(o); err == nil || !strings.Contains(err.Error(), "sweep_result.json") {
		t.Errorf("a changed budget over finished stages: %v", err)
	}
}

// TestReproduceBudgeted runs the protocol under --max-time: the plan is recorded before the stages and
// every stage's spending after it, the ablation trains as many iterations as the EBM prior reached, the
// LM records its validation curve, the table carries the plan and the spending, the learning curves are
// drawn; a rerun changes nothing that finished, and the same --out under another --max-time is refused.
func TestReproduceBudgeted(t *testing.T) {
	out, data := t.TempDir(), clitest.WriteCorpus(t, 0)
	opts := func(maxTime time.Duration) *Options {
		var o bytes.Buffer
		return &Options{Corpus: "ptb", Data: data, Out: out, Iterations: 4, MaxTime: maxTime, Quiet: true, JSON: true,
			TrainFlags: "--embed 8 --hidden 16 --vocab-size 60 --max-len 12 --k0 2 --k1 2 --z 4",
			EvalFlags:  "--chains 2 --samples 4 --logz-samples 50 --gen-samples 12 --lm-iterations 2",
			Stdout:     &o, Stderr: &bytes.Buffer{}}
	}
	o := opts(MinBudget())
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	var tab Table
	if err := json.Unmarshal(o.Stdout.(*bytes.Buffer).Bytes(), &tab); err != nil {
		t.Fatal(err)
	}
	b, found, err := LoadBudget(out)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	for _, s := range BudgetStages {
		if b.Spent[s] <= 0 || tab.Spent[s] != b.Spent[s] || tab.Plan[s] != b.Plan[s] {
			t.Errorf("stage %s: spent %v (table %v), planned %v (table %v)", s, b.Spent[s], tab.Spent[s], b.Plan[s], tab.Plan[s])
		}
	}
	if *tab.Rows[1].Iterations != *tab.Rows[0].Iterations || !strings.Contains(tab.Budget, "budget 8m0s") {
		t.Errorf("iterations %d and %d; budget %q", *tab.Rows[0].Iterations, *tab.Rows[1].Iterations, tab.Budget)
	}
	var e Evaluation
	if _, err := clix.LoadResult(filepath.Join(out, StageEBM, EvalFile), &e); err != nil || !strings.Contains(e.Flags, "--gen-samples 12") ||
		strings.Contains(e.Flags, fmt.Sprintf("--gen-samples %d", BudgetGenSamples)) || !strings.Contains(e.Flags, "--samples 4") {
		t.Errorf("evaluation flags %q (%v): the user's must win over the budget's", e.Flags, err)
	}
	points, err := clix.ReadJSONLines[text.LMPoint](filepath.Join(out, StageLM, "log.jsonl"))
	if err != nil || len(points) == 0 || points[len(points)-1].Step != 4 || points[len(points)-1].ValidNLL <= 0 {
		t.Errorf("LM curve %+v (%v)", points, err)
	}
	for _, f := range []string{CurveFile, CurveTimeFile, BudgetFile} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	o = opts(MinBudget())
	if err := Run(o); err != nil {
		t.Fatal(err)
	}
	again, _, _ := LoadBudget(out)
	for _, s := range BudgetStages {
		if d := again.Spent[s] - b.Spent[s]; d < 0 || d > 1 { // reading its saved result
			t.Errorf("stage %s: a rerun of a finished reproduction spent %v s more", s, d)
		}
	}
	if err := Run(opts(2 * MinBudget())); err == nil || !strings.Contains(err.Error(), BudgetFile) {
		t.Errorf("another --max-time: %v", err)
	}
}
