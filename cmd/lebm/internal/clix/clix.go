package clix

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lebm/lebm/cmd/lebm/internal/families"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// BackendUsage documents --backend.
const BackendUsage = `GoMLX backend: "go" (the pure-Go CPU backend, ops run one at a time, the default; "go:OPTIONS" passes GoMLX options through), "xla:cuda" or "cuda" (XLA through ` +
	`a PJRT plugin known by name), or the absolute path of a PJRT plugin .so (XLA needs a binary built with -tags xla)`

// AddBackendFlag registers --backend on fs.
func AddBackendFlag(fs *pflag.FlagSet, dst *string) {
	fs.StringVar(dst, "backend", engine.DefaultBackend, BackendUsage)
}

// Bar shows progress on stderr: a redrawn bar (count, rate, ETA) on a terminal, and where stderr is a
// file or a pipe (a batch job, nohup, CI) a plain line with the same figures every LineEvery and at the
// end, instead of carriage-return redraws. Nil-safe, and silent when quiet.
type Bar struct {
	bar   *progressbar.ProgressBar
	lines *lineProgress
}

// LineEvery is how often a Bar writes its plain line where stderr is not a terminal.
const LineEvery = 30 * time.Second

// Bars makes progress bars on w (none when quiet), for library code (run.UI).
func Bars(w io.Writer, quiet bool) func(total int, desc, unit string) run.Bar {
	return func(total int, desc, unit string) run.Bar { return NewBar(w, total, desc, unit, quiet) }
}

// NewBar starts a progress bar of total steps.
func NewBar(w io.Writer, total int, desc, unit string, quiet bool) *Bar {
	if quiet {
		return &Bar{}
	}
	if !isTerminal(w) {
		return &Bar{lines: &lineProgress{w: w, total: total, desc: desc, unit: unit, every: LineEvery, start: time.Now(), last: time.Now()}}
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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lineProgress is a Bar's plain-line form.
type lineProgress struct {
	w                  io.Writer
	total, n, startN   int
	desc, unit, detail string
	every              time.Duration
	start, last        time.Time
	started            bool
}

// set records n done and writes a line when LineEvery has passed.
func (p *lineProgress) set(n int) {
	if !p.started { // the first count (a resumed run's step) is where the rate starts
		p.startN, p.started = n, true
	}
	p.n = n
	if time.Since(p.last) >= p.every {
		p.line()
	}
}

// line writes "desc n/total (p%), rate unit/s, elapsed, ETA | detail".
func (p *lineProgress) line() {
	p.last = time.Now()
	el := time.Since(p.start)
	rate := float64(p.n-p.startN) / el.Seconds()
	msg := fmt.Sprintf("%s %d/%d", p.desc, p.n, p.total)
	if p.total > 0 {
		msg += fmt.Sprintf(" (%.1f%%)", 100*float64(p.n)/float64(p.total))
	}
	msg += fmt.Sprintf(", %.3g %s/s, elapsed %s", rate, p.unit, el.Round(time.Second))
	if rate > 0 && p.total > p.n {
		msg += fmt.Sprintf(", ETA %s", (time.Duration(float64(p.total-p.n)/rate) * time.Second).Round(time.Second))
	}
	if p.detail != "" {
		msg += " | " + p.detail
	}
	fmt.Fprintln(p.w, msg)
}

// Set moves the bar to n.
func (b *Bar) Set(n int) {
	switch {
	case b.bar != nil:
		_ = b.bar.Set(n)
	case b.lines != nil:
		b.lines.set(n)
	}
}

// Progress is a text.Progress callback: it sets the total and moves the bar.
func (b *Bar) Progress(done, total int) {
	switch {
	case b.bar != nil:
		if b.bar.GetMax() != total {
			b.bar.ChangeMax(total)
		}
		_ = b.bar.Set(done)
	case b.lines != nil:
		b.lines.total = total
		b.lines.set(done)
	}
}

// Describe replaces the description (the bar's; in plain lines, the figures after "|").
func (b *Bar) Describe(s string) {
	switch {
	case b.bar != nil:
		b.bar.Describe(s)
	case b.lines != nil:
		b.lines.detail = s
	}
}

// Clear erases the bar's line so that a message can be printed (the bar redraws on its next update;
// plain lines need no clearing).
func (b *Bar) Clear() {
	if b.bar != nil {
		_ = b.bar.Clear()
	}
}

// Finish completes the bar (plain lines: a last line).
func (b *Bar) Finish() {
	switch {
	case b.bar != nil:
		_ = b.bar.Finish()
	case b.lines != nil && b.lines.started:
		b.lines.line()
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

// Print writes a command's report: as JSON, or as its Format says.
func Print(w io.Writer, rep run.Report, asJSON bool) error {
	if asJSON {
		return PrintJSON(w, rep)
	}
	_, err := io.WriteString(w, rep.Format())
	return err
}

// PrintJSON writes v as indented JSON to w.
func PrintJSON(w io.Writer, v any) error { return run.PrintJSON(w, v) }

// AddDecodeFlags registers the decoding flags --decode, --temperature, --beam and --max-words.
func AddDecodeFlags(fs *pflag.FlagSet, d *run.Decoding) {
	fs.StringVar(&d.Method, "decode", "greedy", "decoding: greedy, sample (at --temperature) or beam (of width --beam)")
	fs.Float64Var(&d.Temperature, "temperature", 1, "sampling temperature (with --decode sample)")
	fs.IntVar(&d.BeamWidth, "beam", 5, "beam width (with --decode beam)")
	fs.IntVar(&d.MaxWords, "max-words", 0, "longest output in words (default: the model's max-len - 2, or 100 for a model trained on whole sentences)")
}

// CheckDecodeFlags refuses decoding flags that were given with values that mean nothing: --max-words
// below 1 (its default, 0, stands for the model's max-len - 2), a --temperature that is not positive,
// a --beam below 1.
func CheckDecodeFlags(cmd *cobra.Command, d *run.Decoding) error {
	f := cmd.Flags()
	switch {
	case f.Changed("max-words") && d.MaxWords < 1:
		return fmt.Errorf("--max-words must be at least 1 (default: the model's limit), got %d", d.MaxWords)
	case f.Changed("temperature") && !run.ValidTemperature(d.Temperature):
		return fmt.Errorf("--temperature must be positive and finite in float32, as must be its inverse, got %v", d.Temperature)
	case f.Changed("beam") && d.BeamWidth < 1:
		return fmt.Errorf("--beam must be at least 1, got %d", d.BeamWidth)
	}
	return nil
}

// PosteriorFlags are the settings of the posterior chains used to infer z for given sentences.
type PosteriorFlags struct {
	Chains int
	PosteriorChain
	Seed uint64
}

// PosteriorChain is a command's posterior chain length and step size (--k1, --s1; not given: the
// model's K1 and s1).
type PosteriorChain struct {
	K1 ModelDefault[int]
	S1 ModelDefault[float64]
}

// Apply sets e's K1 and s1 to the given ones; e holds the model's.
func (c PosteriorChain) Apply(e *learn.Estimator) {
	e.K1, e.S1 = c.K1.Or(e.K1), c.S1.Or(e.S1)
}

// Check refuses chain settings out of range that were set in code (the flags refuse them when parsed).
func (c PosteriorChain) Check() error {
	if err := c.K1.Check("k1"); err != nil {
		return err
	}
	return c.S1.Check("s1")
}

// Resolve is the posterior chains' settings for a model of hyperparameters cfg: K1 and s1 as given,
// else the model's.
// Check refuses --chains below 1 and out-of-range --k1 and --s1 (PosteriorChain.Check), naming the flag.
func (p PosteriorFlags) Check() error {
	if p.Chains < 1 {
		return fmt.Errorf("--chains must be at least 1, got %d", p.Chains)
	}
	return p.PosteriorChain.Check()
}

func (p PosteriorFlags) Resolve(cfg run.Config) run.Posterior {
	c := cfg.Learn()
	return run.Posterior{Chains: p.Chains, K1: p.K1.Or(c.K1), S1: p.S1.Or(c.S1), Seed: p.Seed}
}

// AddPosteriorFlags registers --chains, --k1, --s1 and --seed (--chain-steps and --chain-step-size, their
// old names, are refused naming the new ones).
func AddPosteriorFlags(fs *pflag.FlagSet, p *PosteriorFlags) {
	fs.IntVar(&p.Chains, "chains", 16, "posterior chains per example; z is the mean of their end points")
	AddChainFlags(fs, &p.PosteriorChain, "chain-steps", "chain-step-size")
	fs.Uint64Var(&p.Seed, "seed", 1, "random seed")
}

// AddChainFlags registers the posterior chain's length and step size under the names lebm train and
// the checkpoint use (--k1, --s1; not given: the model's), and refuses a command's older names for them.
func AddChainFlags(fs *pflag.FlagSet, c *PosteriorChain, oldK1, oldS1 string) {
	AddModelDefault(fs, &c.K1, "k1", "Langevin steps of each posterior chain (default: the model's K1)")
	AddModelDefault(fs, &c.S1, "s1", "posterior chain step size (default: the model's s1)")
	run.Renamed(fs, oldK1, "k1")
	run.Renamed(fs, oldS1, "s1")
}

// OpenRun opens a checkpoint of any family of reg (nil: families.Standard) on the named backend
// (Registry.Open: verified once).
func OpenRun(reg *run.Registry, backendName, path string) (*run.Run, error) {
	backend, err := engine.NewBackend(backendName)
	if err != nil {
		return nil, err
	}
	return families.Or(reg).Open(backend, path)
}

// Serve is a command's work on a checkpoint: it opens the one at path on the named backend (reg nil:
// families.Standard), asks its model for capability C (what: the task, for the refusal of a family
// without it), calls it with the model's hyperparameters and prints the report (as JSON with asJSON).
func Serve[C any](reg *run.Registry, backend, path, what string, stdout io.Writer, asJSON bool, call func(C, run.Config) (run.Report, error)) error {
	opened, err := OpenRun(reg, backend, path)
	if err != nil {
		return err
	}
	c, err := run.Need[C](opened, what)
	if err != nil {
		return err
	}
	rep, err := call(c, opened.Model.Hyperparameters())
	if err != nil {
		return err
	}
	return Print(stdout, rep, asJSON)
}

// ChangedFlags returns the names of the flags the user set on cmd's command line.
func ChangedFlags(cmd *cobra.Command) map[string]bool {
	changed := map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) { changed[f.Name] = true })
	return changed
}

// ReadJSONLines is run.ReadJSONLines.
func ReadJSONLines[T any](path string) ([]T, error) { return run.ReadJSONLines[T](path) }

// LoadResult reads the saved JSON result of a finished stage (a sweep setting, a reproduction stage) at
// path into v; found is false when there is none, and a file that does not parse is an error naming it.
func LoadResult(path string, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// SaveResult writes v as indented JSON to path atomically (the mark that a stage has finished).
func SaveResult(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return ckpt.WriteAtomic(path, b)
}

// Interrupted is the error of a command that a signal stopped after it saved its work (run.Interrupted).
type Interrupted = run.Interrupted
