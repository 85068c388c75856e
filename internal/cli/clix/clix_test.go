package clix

import (
	"bytes"
	"strings"
	"testing"
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
