package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/learn"
)

// loop is the training loop every family shares: a checkpoint at the start of a fresh run,
// then iterations under a progress bar until the configured count, an interrupt (Ctrl-C, SIGTERM, SIGHUP) or
// --max-time, with a checkpoint every saveEvery iterations and at the end. A failed iteration is
// reported with the last good checkpoint, which it leaves intact.
type loop struct {
	step       func() (iteration int, describe string, err error)      // one learning iteration
	after      func(iteration int, bar Bar, last bool) (string, error) // optional: after each iteration (text's diagnosis), and once more (last) when the run ends by count or time; the checkpoint it saved, if any
	save       func() (string, error)
	start      int // completed iterations before this process
	iterations int
	saveEvery  int
}

// loopResult is how the loop ended.
type loopResult struct {
	Checkpoint string
	Iterations int // completed, in all
	Done       int // completed by this process
	Elapsed    time.Duration
	OutOfTime  bool
	Signal     os.Signal // what interrupted it (nil: nothing did)
}

// interrupted reports whether a signal stopped the loop.
func (r loopResult) interrupted() bool { return r.Signal != nil }

// notifyStops returns a channel that receives the signals that stop a run: Ctrl-C, SIGTERM and SIGHUP,
// except those the process was started ignoring (`nohup` ignores SIGHUP, and `cmd &` from a script
// SIGINT: they stay ignored). The caller stops it with signal.Stop.
func notifyStops() chan os.Signal {
	sigs := make(chan os.Signal, 1)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	return sigs
}

// finishWatched runs the session's final evaluation (skip "": there is one) with the stopping signals
// watched. An evaluation cannot stop midway, so on a signal it is abandoned: lebm says so, that training
// is complete and saved, and how to evaluate the checkpoint, then exits (exit: os.Exit) with the status
// the signal's default action gives, 128 + its number.
func finishWatched(sess Session, sum Summary, skip string, stderr io.Writer, exit func(int)) (Report, error) {
	if skip != "" {
		return sess.Finish(sum, skip)
	}
	sigs := notifyStops()
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "\n%v during the final evaluation: the evaluation is abandoned; training is complete and saved in %s: "+
				"evaluate it with `lebm eval %s`\n", sig, sum.Checkpoint, sum.Checkpoint)
			code := 1
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			exit(code)
		case <-done:
		}
	}()
	defer func() { signal.Stop(sigs); close(done) }()
	return sess.Finish(sum, skip)
}

// received is the signal waiting on sigs, or nil.
func received(sigs <-chan os.Signal) os.Signal {
	select {
	case s := <-sigs:
		return s
	default:
		return nil
	}
}

// stopped is the command's outcome once its summary is printed: nil, or, for a run a signal stopped
// (after its checkpoint was saved), an *Interrupted, so that the process exits with 128 + the
// signal's number as shells do and a script can tell it from a finished run.
func (r loopResult) stopped() error {
	if s, ok := r.Signal.(syscall.Signal); ok {
		return &Interrupted{Signal: s, Checkpoint: r.Checkpoint}
	}
	return nil
}

func (l loop) run(ui UI, maxTime time.Duration) (loopResult, error) {
	res := loopResult{Iterations: l.start}
	var err error
	saved := -1 // the iteration of the last checkpoint this process saved
	if l.start == 0 {
		if res.Checkpoint, err = l.save(); err != nil {
			return res, err
		}
		saved = 0
	}
	sigs := notifyStops()
	defer signal.Stop(sigs)
	bar := ui.Bar(l.iterations, "train", "it")
	bar.Set(l.start)
	begin := time.Now()
	for res.Iterations < l.iterations {
		if sig := received(sigs); sig != nil {
			res.Signal = sig
			break
		}
		if maxTime > 0 && time.Since(begin) >= maxTime {
			res.OutOfTime = true
			break
		}
		it, describe, err := l.step()
		if err != nil {
			if res.Checkpoint != "" {
				return res, fmt.Errorf("%w\nlast good checkpoint: %s", err, res.Checkpoint)
			}
			return res, err
		}
		res.Iterations = it
		bar.Set(it)
		if maxTime > 0 { // the bar's ETA is the iterations'; the time may end the run first
			describe += fmt.Sprintf(" | time left %v", max(maxTime-time.Since(begin), 0).Round(time.Second))
		}
		bar.Describe(describe)
		if err := l.afterStep(it, bar, false, &res, &saved); err != nil {
			return res, err
		}
		if it%l.saveEvery == 0 && saved != it {
			if res.Checkpoint, err = l.save(); err != nil {
				return res, err
			}
			saved = it
		}
	}
	if res.Signal == nil && res.Iterations > l.start {
		if err := l.afterStep(res.Iterations, bar, true, &res, &saved); err != nil {
			return res, err
		}
	}
	if saved != res.Iterations || res.Checkpoint == "" {
		if res.Checkpoint, err = l.save(); err != nil {
			return res, err
		}
	}
	if sig := received(sigs); sig != nil && !res.interrupted() { // during the last iteration or the final save
		res.Signal = sig
	}
	bar.Finish()
	res.Done, res.Elapsed = res.Iterations-l.start, time.Since(begin)
	return res, nil
}

// afterStep runs the loop's after work at iteration (last: the run ends there), recording the checkpoint
// it saved.
func (l loop) afterStep(iteration int, bar Bar, last bool, res *loopResult, saved *int) error {
	if l.after == nil {
		return nil
	}
	dir, err := l.after(iteration, bar, last)
	if err != nil {
		return err
	}
	if dir != "" {
		res.Checkpoint, *saved = dir, iteration
	}
	return nil
}

// secondsPerIteration is the wall time per iteration of this process (0 if it ran none).
func (r loopResult) secondsPerIteration() float64 {
	if r.Done == 0 {
		return 0
	}
	return r.Elapsed.Seconds() / float64(r.Done)
}

// summary is the run's part of the --json summary.
func (r loopResult) summary(runDir string, timing learn.Timing) Summary {
	return Summary{RunDir: runDir, Checkpoint: r.Checkpoint, Iterations: r.Iterations, SecondsPerIt: r.secondsPerIteration(),
		Timing: timing, Interrupted: r.interrupted(), OutOfTime: r.OutOfTime}
}

// report prints where the run stands and how its time was spent.
func (r loopResult) report(stderr io.Writer, maxTime time.Duration, runDir string, timing learn.Timing) {
	per := func(total float64) float64 {
		if r.Done == 0 {
			return 0
		}
		return total / float64(r.Done)
	}
	fmt.Fprintf(stderr, "checkpoint: %s (iteration %d, %.3f s/iteration: compiled iteration (both chains, every update) %.3f, host %.3f)\n",
		r.Checkpoint, r.Iterations, r.secondsPerIteration(), per(timing.Iteration), per(timing.Host))
	if r.OutOfTime {
		fmt.Fprintf(stderr, "--max-time %v reached at iteration %d\n", maxTime, r.Iterations)
	}
	if r.interrupted() {
		fmt.Fprintf(stderr, "interrupted: continue with `lebm train --resume %s`\n", runDir)
	}
}

// startRun readies a family's trainer (new or resumed from resumeDir) for the loop, the same for every
// family: it refuses a resume whose --iterations ends before the step the run has reached, restores the
// persistent chains of a resumed run, and opens the run's log (openLog).
func startRun(tr *learn.Trainer, runDir, resumeDir string, stderr io.Writer) (*os.File, error) {
	if step, iterations := tr.State.Step, tr.Core.Config.Iterations; iterations < step {
		return nil, fmt.Errorf("the run is at iteration %d: --iterations %d would end before it; give more to continue it", step, iterations)
	}
	if resumeDir != "" {
		if err := tr.RestorePersistent(resumeDir); err != nil {
			return nil, err
		}
	}
	return openLog(runDir, tr.State.Step, stderr)
}

// openLog creates the run directory if needed and opens its JSON-lines training log for appending (a
// resumed run continues the same log), first cut back to the records of steps up to step, the
// checkpoint the run continues from: records a killed process wrote after its last checkpoint would
// otherwise appear twice, and a torn last line (a kill during a write) would have the next record glued
// to it. What was removed is said on stderr.
func openLog(runDir string, step int, stderr io.Writer) (*os.File, error) {
	// A fresh run (step 0) starts a new log; the lock and the "holds a run" check came first.
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(runDir, LogFile)
	if err := ckpt.Inside(path); err != nil { // appending through a link would write outside the run
		return nil, err
	}
	if b, err := ckpt.ReadInside(path); err == nil && len(b) > 0 {
		kept, later, bad, torn := trimLog(b, step)
		if later > 0 || bad > 0 || torn {
			if err := ckpt.WriteAtomic(path, kept); err != nil {
				return nil, err
			}
			if step == 0 {
				fmt.Fprintf(stderr, "%s: an old log without a checkpoint was replaced\n", path)
			} else {
				fmt.Fprintf(stderr, "%s: removed %d records after step %d (the checkpoint this run continues from)", path, later, step)
				if bad > 0 {
					fmt.Fprintf(stderr, ", %d unreadable lines", bad)
				}
				if torn {
					fmt.Fprint(stderr, " and a torn last line")
				}
				fmt.Fprintln(stderr)
			}
		}
	}
	return os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY|syscall.O_NOFOLLOW, 0o644)
}

// LogFile is a run's JSON-lines training log.
const LogFile = "log.jsonl"

// trimLog keeps the complete lines of a log holding a record of a step at most step (blank lines are
// kept); later counts the records dropped for a later step, bad the lines that are not records (a record
// glued to a torn one by an older lebm), and torn says the last line had no newline (a write cut short)
// and was dropped.
func trimLog(b []byte, step int) (kept []byte, later, bad int, torn bool) {
	lines, torn := CompleteLines(b)
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			kept = append(kept, l...)
			continue
		}
		var r struct {
			Step *int `json:"step"`
		}
		switch {
		case json.Unmarshal(l, &r) != nil || r.Step == nil:
			bad++
		case *r.Step > step:
			later++
		default:
			kept = append(kept, l...)
		}
	}
	return kept, later, bad, torn
}

// CompleteLines splits a JSON-lines file's bytes into its lines, each with its newline, leaving out a
// last line without one (torn: a process killed during a write); torn says there was such a line.
func CompleteLines(b []byte) (lines [][]byte, torn bool) {
	lines = bytes.SplitAfter(b, []byte("\n"))
	last := lines[len(lines)-1] // SplitAfter returns at least one (possibly empty) piece
	if !bytes.HasSuffix(last, []byte("\n")) {
		lines, torn = lines[:len(lines)-1], len(last) > 0
	}
	return lines, torn
}

// Interrupted is the error of a command that a signal stopped after it saved its work (Checkpoint): the
// process exits with ExitCode, 128 + the signal's number, as shells report a process a signal ended.
type Interrupted struct {
	Signal     syscall.Signal
	Checkpoint string
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("interrupted by %v after saving %s", e.Signal, e.Checkpoint)
}

// ExitCode is 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
func (e *Interrupted) ExitCode() int { return 128 + int(e.Signal) }

// ReadJSONLines reads a JSON-lines file (a run's log.jsonl) into records of type T, skipping blank lines
// and a torn last line (no newline: a process killed during a write), and naming the file and line of a
// malformed record.
func ReadJSONLines[T any](path string) ([]T, error) {
	b, err := ckpt.ReadInside(path)
	if err != nil {
		return nil, err
	}
	var out []T
	lines, _ := CompleteLines(b)
	for i, l := range lines {
		if l = bytes.TrimSpace(l); len(l) == 0 {
			continue
		}
		var r T
		if err := json.Unmarshal(l, &r); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON log record: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
