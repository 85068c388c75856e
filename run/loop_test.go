package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrimLogAndCheckData: the log trim drops later records, lines that are not records (a record glued
// to a torn one by an older lebm) and a torn last line; the data check accepts a run from before digests
// on its own data (recorded relative), refuses it elsewhere unless --new-data, and refuses other data.
func TestTrimLogAndCheckData(t *testing.T) {
	kept, later, bad, torn := trimLog([]byte("{\"step\":1}\n{\"step\":2}{\"st\n\n{\"step\":3}\n{\"step\":5}\n{\"step\":6"), 3)
	if string(kept) != "{\"step\":1}\n\n{\"step\":3}\n" || later != 1 || bad != 1 || !torn {
		t.Errorf("trim: %q, %d later, %d bad, torn %v", kept, later, bad, torn)
	}
	wd, _ := os.Getwd()
	in := Input{}
	if d, err := in.CheckData("data/ptb", filepath.Join(wd, "data/ptb"), "", "abc"); err != nil || d != "abc" {
		t.Errorf("a run from before digests, on its own data: %q %v", d, err)
	}
	if _, err := in.CheckData("data/ptb", "/elsewhere/ptb", "", "abc"); err == nil || !strings.Contains(err.Error(), "predates") {
		t.Errorf("a run from before digests, elsewhere: %v", err)
	}
	if _, err := in.CheckData("/a", "/b", "abc", "def"); err == nil || !strings.Contains(err.Error(), "other training data") {
		t.Errorf("other data: %v", err)
	}
	in.NewData = true
	if d, err := in.CheckData("/a", "/b", "abc", "def"); err != nil || d != "def" {
		t.Errorf("other data with --new-data: %q %v", d, err)
	}
	// Where a resume of either family reads: the recorded path made absolute (so that a run from before
	// digests, recorded relative, passes checkData on its own data), --data when given, nothing for the
	// embedded data.
	in = Input{}
	if got := in.ResumeData("data/ptb"); got != filepath.Join(wd, "data/ptb") {
		t.Errorf("recorded relative path: %q", got)
	}
	if d, err := in.CheckData("data/ptb", in.ResumeData("data/ptb"), "", "abc"); err != nil || d != "abc" {
		t.Errorf("a run from before digests resumed without --data: %q %v", d, err)
	}
	if got := in.ResumeData(""); got != "" {
		t.Errorf("embedded data: %q", got)
	}
	in.Data = "moved/ptb"
	if got := in.ResumeData("data/ptb"); got != filepath.Join(wd, "moved/ptb") {
		t.Errorf("--data: %q", got)
	}
}

// recordingBar keeps the descriptions a loop gives its bar.
type recordingBar struct{ described []string }

func (b *recordingBar) Set(int)           {}
func (b *recordingBar) Progress(int, int) {}
func (b *recordingBar) Describe(s string) { b.described = append(b.described, s) }
func (b *recordingBar) Clear()            {}
func (b *recordingBar) Finish()           {}

// TestLoopShowsTheTimeLeft: under --max-time every progress line says how much time is left (the bar's
// ETA counts the iterations, which the time may cut short); without it, nothing is added.
func TestLoopShowsTheTimeLeft(t *testing.T) {
	for _, maxTime := range []time.Duration{time.Hour, 0} {
		bar := &recordingBar{}
		it := 0
		l := loop{step: func() (int, string, error) { it++; return it, "gen 1.0/tok", nil },
			save: func() (string, error) { return "dir", nil }, start: 0, iterations: 3, saveEvery: 100}
		ui := UI{Bars: func(int, string, string) Bar { return bar }}
		if _, err := l.run(ui, maxTime); err != nil {
			t.Fatal(err)
		}
		for _, d := range bar.described {
			if has := strings.Contains(d, "time left "); has != (maxTime > 0) {
				t.Errorf("--max-time %v: progress %q", maxTime, d)
			}
		}
		if len(bar.described) != 3 {
			t.Errorf("%d progress lines, want 3", len(bar.described))
		}
	}
}
