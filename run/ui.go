package run

import "io"

// Bar shows the progress of long work: a count against a total, with a description.
type Bar interface {
	Set(done int)
	Progress(done, total int)
	Describe(s string)
	Clear() // before other output
	Finish()
}

// UI is how library code talks to the user: notes and warnings on Stderr, progress bars from Bars
// (nil: none), nothing when Quiet.
type UI struct {
	Stderr io.Writer
	Quiet  bool
	Bars   func(total int, desc, unit string) Bar
}

// Bar starts a progress bar (a silent one without Bars).
func (u UI) Bar(total int, desc, unit string) Bar {
	if u.Bars == nil {
		return silent{}
	}
	return u.Bars(total, desc, unit)
}

// Note writes a line to Stderr unless Quiet.
func (u UI) Note(s string) {
	if !u.Quiet && u.Stderr != nil {
		io.WriteString(u.Stderr, s+"\n")
	}
}

// Warn writes a line to Stderr, Quiet or not.
func (u UI) Warn(s string) {
	if u.Stderr != nil {
		io.WriteString(u.Stderr, s+"\n")
	}
}

type silent struct{}

func (silent) Set(int)           {}
func (silent) Progress(int, int) {}
func (silent) Describe(string)   {}
func (silent) Clear()            {}
func (silent) Finish()           {}
