package clix

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/text"
	"github.com/spf13/pflag"
)

// TestBarWritesPlainLinesOffTerminal: where stderr is not a terminal the bar writes plain lines (no
// carriage-return redraws), one per interval and one at the end, with count, percentage, rate and ETA;
// a 500-iteration run with the default interval writes one line, not 500 redraws.
func TestBarWritesPlainLinesOffTerminal(t *testing.T) {
	var w bytes.Buffer
	b := NewBar(&w, 500, "train", "it", false)
	if b.lines == nil {
		t.Fatal("a buffer got a terminal bar")
	}
	for i := 1; i <= 500; i++ {
		b.Set(i)
	}
	b.Describe("gen 1.23/tok")
	b.Finish()
	out := w.String()
	if strings.Contains(out, "\r") || strings.Count(out, "\n") != 1 || !strings.Contains(out, "train 500/500 (100.0%)") ||
		!strings.Contains(out, "it/s") || !strings.Contains(out, "| gen 1.23/tok") {
		t.Fatalf("default interval: %q", out)
	}
	w.Reset()
	b = NewBar(&w, 10, "eval", "chains", false)
	b.lines.every = 0 // a line at every update
	b.Set(2)
	b.Set(4)
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "eval 4/10 (40.0%)") || !strings.Contains(lines[1], "ETA") {
		t.Fatalf("every update: %q", w.String())
	}
	w.Reset()
	NewBar(&w, 10, "x", "it", true).Set(3)
	if w.Len() != 0 {
		t.Fatalf("quiet bar wrote %q", w.String())
	}
}

// TestModelDefault: the one rule for chain settings. Not given, a setting is the model's; given, it is used
// as it is (0 steps included); out of range, it is refused when parsed and stays not given.
func TestModelDefault(t *testing.T) {
	cfg := text.Config{Config: learn.Config{K1: 20, S1: 0.1}}
	if ec := (PosteriorFlags{Chains: 2}).Resolve(&cfg); ec.K1 != 20 || ec.S1 != 0.1 {
		t.Fatalf("not given: K1 %d, s1 %v; want the model's 20 and 0.1", ec.K1, ec.S1)
	}
	if ec := (PosteriorFlags{Chains: 2, PosteriorChain: PosteriorChain{K1: Given(0), S1: Given(0.05)}}).Resolve(&cfg); ec.K1 != 0 || ec.S1 != 0.05 {
		t.Fatalf("given 0 and 0.05: K1 %d, s1 %v", ec.K1, ec.S1)
	}
	for _, tc := range []struct {
		flag, value string
		ok          bool
	}{{"k1", "0", true}, {"k1", "7", true}, {"k1", "0x10", true}, {"k1", "-1", false}, {"k1", "2.5", false}, {"k1", "x", false},
		{"s1", "0.1", true}, {"s1", "3e38", true}, {"s1", "0", false}, {"s1", "-5", false}, {"s1", "NaN", false},
		{"s1", "Inf", false}, {"s1", "1e300", false}, {"s1", "1e-50", false}} { // 1e-50 is 0 in float32
		var p PosteriorFlags
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		AddPosteriorFlags(fs, &p)
		err := fs.Parse([]string{"--" + tc.flag, tc.value})
		given := map[string]bool{"k1": p.K1.Given, "s1": p.S1.Given}[tc.flag]
		if (err == nil) != tc.ok || given != tc.ok {
			t.Errorf("--%s %s: error %v, given %v; want accepted %v", tc.flag, tc.value, err, given, tc.ok)
		}
	}
	if err := (PosteriorChain{K1: Given(-1)}).Check(); err == nil || !strings.Contains(err.Error(), "--k1") {
		t.Errorf("--k1 -1 set in code: %v", err)
	}
	var p PosteriorFlags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddPosteriorFlags(fs, &p)
	if err := fs.Parse([]string{"--chain-steps"}); err == nil || !strings.Contains(err.Error(), "use --k1") {
		t.Errorf("an old name without a value: %v", err)
	}
}
