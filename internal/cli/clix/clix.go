// Package clix holds what the lebm commands share: the backend flag, progress bars and output helpers.
package clix

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/lebm/lebm/internal/compute"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// BackendUsage documents --backend.
const BackendUsage = `GoMLX backend: "go" (pure-Go SimpleGo CPU backend, the default), "xla:cuda" or "cuda" (XLA through ` +
	`a PJRT plugin known by name), or the absolute path of a PJRT plugin .so (XLA needs a binary built with -tags xla)`

// AddBackendFlag registers --backend on fs.
func AddBackendFlag(fs *pflag.FlagSet, dst *string) {
	fs.StringVar(dst, "backend", compute.DefaultBackend, BackendUsage)
}

// NewBackend creates the backend and installs lebm's graph fixes.
func NewBackend(name string) (backends.Backend, error) {
	compute.Register()
	return compute.NewBackend(name)
}

// Bar is a progress bar on stderr showing count, rate and ETA; nil-safe and silent when quiet.
type Bar struct{ bar *progressbar.ProgressBar }

// NewBar starts a progress bar of total steps.
func NewBar(w io.Writer, total int, desc, unit string, quiet bool) *Bar {
	if quiet {
		return &Bar{}
	}
	return &Bar{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(20),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)}
}

// Set moves the bar to n.
func (b *Bar) Set(n int) {
	if b.bar != nil {
		_ = b.bar.Set(n)
	}
}

// Progress is a text.Progress callback: it sets the total and moves the bar.
func (b *Bar) Progress(done, total int) {
	if b.bar != nil {
		if b.bar.GetMax() != total {
			b.bar.ChangeMax(total)
		}
		_ = b.bar.Set(done)
	}
}

// Describe replaces the description.
func (b *Bar) Describe(s string) {
	if b.bar != nil {
		b.bar.Describe(s)
	}
}

// Finish completes the bar.
func (b *Bar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}

// Streams defaults *stdout and *stderr to the command's streams (tests set their own) and marks the
// command as past flag parsing, so that later errors do not print the usage.
func Streams(cmd *cobra.Command, stdout, stderr *io.Writer) {
	cmd.SilenceUsage = true
	if *stdout == nil {
		*stdout = cmd.OutOrStdout()
	}
	if *stderr == nil {
		*stderr = cmd.ErrOrStderr()
	}
}

// PrintJSON writes v as indented JSON to w.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
