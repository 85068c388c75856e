package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm sweep`.
type Options struct {
	Out        string        // sweep directory: one run directory per setting, table.md, results.json, sweep.png
	Base       string        // `lebm train` flags shared by every setting
	Settings   []string      // NAME=FLAGS, one per setting
	GridFile   string        // file of NAME=FLAGS lines
	Iterations int           // equal iteration budget
	MaxTime    time.Duration // equal time budget per setting (0 = none)
	Jobs       int           // settings trained at once
	JSON       bool

	Stdout, Stderr io.Writer
}

// Setting is one named grid point.
type Setting struct {
	Name  string `json:"name"`
	Flags string `json:"flags"`
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Train a grid of settings at an equal budget and tabulate NLL, PPL, MI and AU against their floors",
		Long: `Train each setting (NAME=FLAGS, flags of ` + "`lebm train`" + `, added to --base) for the same number of
iterations (and at most --max-time each), evaluate it on the validation split, choose the setting of the
lowest validation NLL, evaluate that one on the test split (once), and write into --out:
  NAME/          the setting's run directory (checkpoints, log.jsonl with periodic collapse diagnoses)
  table.md       validation NLL, PPL, reconstruction gap, MI and AU with their floors, seconds per
                 iteration; the selected setting and its test numbers
  results.json   the same with every estimator setting
  sweep.png      validation NLL and MI above its floor against the iteration, one curve per setting
A setting whose run directory already holds a finished result is not trained again: rerun the same
command to complete an interrupted sweep.

Example (the README's comparison):
  lebm sweep --out runs/sweep --iterations 300 \
    --base "--data ../shared/corpora/ptb --preset ptb --embed 64 --hidden 128 --vocab-size 2000 --eval-every 100" \
    --setting "ebm=--prior ebm" --setting "gaussian=--prior gaussian"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "", "sweep directory (required)")
	f.StringVar(&opts.Base, "base", "", "`lebm train` flags shared by all settings, e.g. \"--data DIR --preset ptb\"")
	f.StringArrayVar(&opts.Settings, "setting", nil, "a setting NAME=FLAGS (repeatable), e.g. \"enc=--posterior-init encoder --k1 5\"")
	f.StringVar(&opts.GridFile, "grid", "", "file with one NAME=FLAGS setting per line (# comments allowed)")
	f.IntVar(&opts.Iterations, "iterations", 300, "training iterations of every setting (the equal budget)")
	f.DurationVar(&opts.MaxTime, "max-time", 0, "also stop each setting after this long (0 = no limit)")
	f.IntVar(&opts.Jobs, "jobs", 1, "settings trained at once (the Go backend runs ops one at a time; its matrix products use all cores)")
	f.BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	return cmd
}

// ParseSetting splits NAME=FLAGS.
func ParseSetting(s, where string) (Setting, error) {
	name, flags, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\ \t") {
		return Setting{}, fmt.Errorf("%s: setting %q: expected NAME=FLAGS with a non-empty NAME without /, \\ or spaces (it names a directory)", where, s)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !nameChar(r) }); i >= 0 {
		bad := name[i : i+1] // an invalid byte as it is, a character whole
		if r, n := utf8.DecodeRuneInString(name[i:]); r != utf8.RuneError {
			bad = name[i : i+n]
		}
		return Setting{}, fmt.Errorf("%s: setting %q: its NAME holds %q at byte %d (it names a directory and a row of table.md): use ASCII letters, digits, ., - and _",
			where, s, bad, i)
	}
	return Setting{Name: name, Flags: strings.TrimSpace(flags)}, nil
}

// nameChar reports whether r may be in a setting's name: ASCII letters, digits, '.', '-' and '_'.
func nameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
}

// Grid collects the settings of --setting and --grid, checking that names are unique.
func (o *Options) Grid() ([]Setting, error) {
	var out []Setting
	for _, s := range o.Settings {
		st, err := ParseSetting(s, "--setting")
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if o.GridFile != "" {
		f, err := os.Open(o.GridFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			l := strings.TrimSpace(sc.Text())
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			st, err := ParseSetting(l, fmt.Sprintf("%s:%d", o.GridFile, line))
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no settings: give --setting NAME=FLAGS (repeatable) or --grid FILE")
	}
	seen := map[string]bool{}
	for _, s := range out {
		if seen[s.Name] {
			return nil, fmt.Errorf("setting name %q used twice", s.Name)
		}
		seen[s.Name] = true
	}
	return out, nil
}

// TrainArgs are the `lebm train` arguments of setting s.
func (o *Options) TrainArgs(s Setting) []string {
	args := strings.Fields(o.Base)
	args = append(args, strings.Fields(s.Flags)...)
	args = append(args, "--out", filepath.Join(o.Out, s.Name), "--iterations", fmt.Sprint(o.Iterations), "--eval-split", "valid", "--json", "--quiet")
	if o.MaxTime > 0 {
		args = append(args, "--max-time", o.MaxTime.String())
	}
	return args
}

// trainOptions parses a setting's arguments with `lebm train`'s own flags.
func (o *Options) trainOptions(s Setting) (*train.Options, error) {
	return TrainOptions(s, o.TrainArgs(s))
}

// CheckThenLock parses every setting with parse, so that a bad one stops the command before any trains,
// then takes dir's lock for holder (see ckpt.Lock): what sweeps and reproductions do before their first
// training. The caller releases the lock with unlock.
func CheckThenLock[T any](dir, holder string, settings []Setting, parse func(Setting) (T, error)) (parsed []T, unlock func(), err error) {
	parsed = make([]T, len(settings))
	for i, s := range settings {
		if parsed[i], err = parse(s); err != nil {
			return nil, nil, err
		}
	}
	if unlock, err = ckpt.Lock(dir, holder); err != nil {
		return nil, nil, err
	}
	return parsed, unlock, nil
}

// TrainOptions parses the `lebm train` arguments of setting s with the command's own flags, and checks
// that they make a text model's configuration.
func TrainOptions(s Setting, args []string) (*train.Options, error) {
	var got *train.Options
	cmd := train.NewCmd(&train.Options{}, func(t *train.Options) error { got = t; return nil })
	cmd.SetArgs(args)
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	cmd.SetErr(&buf)
	if err := cmd.Execute(); err != nil {
		return nil, fmt.Errorf("setting %s: %w", s.Name, err)
	}
	if got.Family != "" && got.Family != text.Family {
		return nil, fmt.Errorf("setting %s: lebm sweep compares text models (NLL, MI, AU); for images train each setting with "+
			"lebm train --family image and compare with lebm eval", s.Name)
	}
	if _, err := got.Configure(); err != nil {
		return nil, fmt.Errorf("setting %s: %w", s.Name, err)
	}
	return got, nil
}

// ResultFile is a setting's finished result inside its run directory.
const ResultFile = "sweep_result.json"

// Result is one setting's outcome.
type Result struct {
	Setting Setting           `json:"setting"`
	Summary *text.TrainReport `json:"summary"`
}

// Run trains the grid and writes the table, the JSON results and the plot.
func Run(opts *Options) error {
	if opts.Out == "" {
		return fmt.Errorf("--out is required")
	}
	if opts.Iterations < 1 || opts.Jobs < 1 {
		return fmt.Errorf("--iterations and --jobs must be positive, got %d and %d", opts.Iterations, opts.Jobs)
	}
	if opts.MaxTime < 0 {
		return fmt.Errorf("--max-time must be a positive duration (0: no limit), got %v", opts.MaxTime)
	}
	grid, err := opts.Grid()
	if err != nil {
		return err
	}
	trainOpts, unlock, err := CheckThenLock(opts.Out, "lebm sweep", grid, opts.trainOptions)
	if err != nil {
		return err
	}
	defer unlock()
	results, err := trainGrid(grid, trainOpts, opts.Jobs, opts.Stderr)
	if err != nil {
		return err
	}
	sel, err := selectOnValidation(grid, results, trainOpts, opts.Stderr)
	if err != nil {
		return err
	}
	return opts.write(grid, results, sel)
}

// Selected is the setting of the lowest validation NLL and its evaluation on the test split, the one the
// sweep makes (with the estimator settings of the validation evaluations).
type Selected struct {
	Setting    string           `json:"setting"`
	Checkpoint string           `json:"checkpoint"`
	ValidNLL   float64          `json:"valid_nll"`
	Test       *text.EvalResult `json:"test"`
	// RunnerUp is the setting of the next lowest validation NLL ("" with one setting), Margin its NLL
	// minus the selected one's and MarginSE sqrt(se1^2 + se2^2) (conservative: both were scored on the
	// same sentences, whose paired difference would be tighter).
	RunnerUp string  `json:"runner_up,omitempty"`
	Margin   float64 `json:"margin,omitempty"`
	MarginSE float64 `json:"margin_se,omitempty"`
}

// selectOnValidation chooses the setting of the lowest validation NLL (nil when none was evaluated) and
// evaluates its final evaluation's checkpoint on the test split.
func selectOnValidation(grid []Setting, results []*Result, trainOpts []*train.Options, stderr io.Writer) (*Selected, error) {
	best := -1
	for i, r := range results {
		if t := r.Summary.Test; t != nil && (best < 0 || t.NLL < results[best].Summary.Test.NLL) {
			best = i
		}
	}
	if best < 0 {
		return nil, nil
	}
	s := results[best].Summary
	dir := s.EvaluatedCheckpoint()
	fmt.Fprintf(stderr, "selected by validation NLL: %s (%.3f); evaluating %s on the test split, once\n", grid[best].Name, s.Test.NLL, dir)
	backend, err := engine.NewBackend(trainOpts[best].Backend)
	if err != nil {
		return nil, err
	}
	res, err := text.EvaluateCheckpoint(backend, dir, "test", s.Test.Settings)
	if err != nil {
		return nil, fmt.Errorf("the selected setting %s: %w", grid[best].Name, err)
	}
	if w := text.UnknownWarningOf(res.UnknownShare, "test"); w != "" {
		fmt.Fprintln(stderr, w)
	}
	sel := &Selected{Setting: grid[best].Name, Checkpoint: dir, ValidNLL: s.Test.NLL, Test: res}
	for i, r := range results {
		if t := r.Summary.Test; i != best && t != nil && (sel.RunnerUp == "" || t.NLL-s.Test.NLL < sel.Margin) {
			sel.RunnerUp, sel.Margin, sel.MarginSE = grid[i].Name, t.NLL-s.Test.NLL, math.Hypot(t.NLLSE, s.Test.NLLSE)
		}
	}
	return sel, nil
}

// trainGrid trains the settings, jobs at a time (RunSetting), each with its train options; the first
// setting a signal stops stops the others from starting.
func trainGrid(grid []Setting, trainOpts []*train.Options, jobs int, stderr io.Writer) ([]*Result, error) {
	results := make([]*Result, len(grid))
	errs := make([]error, len(grid))
	bar := clix.NewBar(stderr, len(grid), "sweep", "settings", false)
	var mu sync.Mutex
	var interrupted *clix.Interrupted // the first setting a signal stopped
	done := 0
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, s := range grid {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mu.Lock()
			stop := interrupted != nil
			mu.Unlock()
			if stop { // a signal stopped a setting: start no other
				errs[i] = interrupted
				return
			}
			var log bytes.Buffer // a failed setting's stderr goes into its error
			results[i], errs[i] = RunSetting(s, trainOpts[i], &log)
			var ie *clix.Interrupted
			if errs[i] != nil && log.Len() > 0 && !errors.As(errs[i], &ie) {
				errs[i] = fmt.Errorf("%w\n%s", errs[i], log.String())
			}
			mu.Lock()
			if errors.As(errs[i], &ie) && interrupted == nil {
				interrupted = ie
			}
			done++
			bar.Set(done)
			if errs[i] == nil {
				bar.Clear()
				fmt.Fprintf(stderr, "%s: %s\n", s.Name, results[i].line())
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	bar.Finish()
	if interrupted != nil {
		return nil, fmt.Errorf("sweep: %w (finished settings keep their results; rerun the same command to continue)", interrupted)
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("setting %s: %w (finished settings keep their results; rerun to complete the sweep)", grid[i].Name, err)
		}
	}
	return results, nil
}

// RunSetting trains (and, unless to says --no-eval, evaluates) one setting with the train options to
// (parsed by TrainOptions, with --json), or returns its saved result; an unfinished run in to.Out is
// resumed. The training's progress and messages go to stderr.
func RunSetting(s Setting, to *train.Options, stderr io.Writer) (*Result, error) {
	path := filepath.Join(to.Out, ResultFile)
	var saved Result
	if found, err := clix.LoadResult(path, &saved); err != nil {
		return nil, err
	} else if found {
		if saved.Setting == s {
			return &saved, nil
		}
		return nil, fmt.Errorf("%s holds the result of other flags (%q); remove it or choose another --out", path, saved.Setting.Flags)
	}
	if from := ckpt.Resumable(to.Out); from != "" {
		// An unfinished run: continue it (its checkpoint fixes every setting but the iteration budget),
		// from its newest complete step when "latest" was never written.
		if err := to.ResumeFrom(from); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	to.Stdout, to.Stderr = &out, stderr
	if err := train.Run(to); err != nil { // a signal's *clix.Interrupted included: no result, a rerun continues
		return nil, err
	}
	var sum text.TrainReport
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return nil, fmt.Errorf("reading the run's summary: %w", err)
	}
	r := &Result{Setting: s, Summary: &sum}
	return r, clix.SaveResult(path, r)
}
