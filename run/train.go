package run

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/learn"
)

// TrainRequest is a training run as `lebm train` describes it: which family (or which run to resume),
// the flags the user set, and where the output goes.
type TrainRequest struct {
	Family  string                 // "" = the registry's default, or the resumed run's
	Core    *Knobs[learn.Config]   // the shared hyperparameter flags
	Flags   map[string]TrainFlags  // each registered family's own flags, by family name
	Changed func(flag string) bool // whether the user set a flag
	Preset  string                 // "" = the family's default
	Out     string                 // run directory ("" = runs/<RunName>-<time>, or the resumed run's)
	Resume  string                 // run directory (or step directory) to continue
	Input                          // the data (--data, --new-data) and the user interface
	NoEval  bool                   // no final evaluation
	MaxTime time.Duration          // stop after this long (0 = no limit)
	Backend string                 // how the backend was asked for and what it is, for the header
	JSON    bool                   // print the summary as JSON
	Stdout  io.Writer
}

// Summary is the part of a training run's summary every family reports: where the run is and how it went.
type Summary struct {
	RunDir       string       `json:"run_dir"`
	Checkpoint   string       `json:"checkpoint"`
	Iterations   int          `json:"iterations"`
	SecondsPerIt float64      `json:"seconds_per_iteration"`
	Timing       learn.Timing `json:"timing"`
	Interrupted  bool         `json:"interrupted"`
	OutOfTime    bool         `json:"out_of_time"` // stopped by --max-time
	// Best is the checkpoint with the best validation NLL (a Selecting session's), nil without one;
	// BestDir is its directory.
	Best    *ckpt.Best `json:"best,omitempty"`
	BestDir string     `json:"best_checkpoint,omitempty"`
}

// EvaluatedCheckpoint is the checkpoint the run's final evaluation is of: its best by validation NLL when it kept
// one, its last otherwise.
func (s Summary) EvaluatedCheckpoint() string {
	if s.Best != nil {
		return s.BestDir
	}
	return s.Checkpoint
}

// Train runs the lifecycle of a training run for the family the request names (or the resumed run's):
// a fresh run's configuration and locked directory, or a resumed run's checkpoint under the lock of the
// directory it writes; the family's session on its data; the log; the loop (see loop); the report, the
// final evaluation unless --no-eval or a signal, and the summary on Stdout. A run a signal stopped ends
// in an *Interrupted after its checkpoint and summary.
func Train(backend compute.Backend, reg *Registry, req *TrainRequest) error {
	if req.MaxTime < 0 {
		return fmt.Errorf("--max-time must be a positive duration (0: no limit), got %v", req.MaxTime)
	}
	var resumed *Run
	if req.Resume != "" {
		for _, tf := range req.Flags { // what no family may change is refused before the run is read
			if err := req.checkResumable(tf, func(name string) bool { return !req.resumableAnywhere(name) }); err != nil {
				return err
			}
		}
		unlock, err := lockResumed(req.Resume, req.Out)
		if err != nil {
			return err
		}
		defer unlock()
		if resumed, err = reg.Open(backend, req.Resume); err != nil {
			return err
		}
		if im, ok := resumed.Model.(Imported); ok && im.ImportedFrom() != "" {
			return fmt.Errorf("%s was imported from %s (lebm import): it holds the model's weights but no training state (Adam's moments, "+
				"the chains' generators, the batch order), so it cannot be resumed; evaluate or sample it, or train a new run", resumed.Dir, im.ImportedFrom())
		}
		if req.Family != "" && req.Family != resumed.Family {
			return fmt.Errorf("--family %s, but %s holds a %s run", req.Family, req.Resume, resumed.Family)
		}
		req.Family = resumed.Family
	}
	if req.Family == "" {
		req.Family = reg.Default().Name()
	}
	if _, err := reg.Get(req.Family); err != nil {
		return fmt.Errorf("--family: %w", err)
	}
	if err := req.CheckFlags(resumed != nil); err != nil {
		return err
	}
	sess, runDir, unlock, err := req.start(backend, resumed)
	if err != nil {
		return err
	}
	defer unlock()
	return req.train(sess, runDir, resumed)
}

// CheckFlags refuses the flags of another family than req.Family ("": the first registered) and, when
// resuming, the flags that cannot change.
func (req *TrainRequest) CheckFlags(resuming bool) error {
	own := req.Flags[req.Family]
	var names []string
	for _, tf := range req.Flags {
		names = append(names, tf.Names()...)
	}
	slices.Sort(names)
	for _, name := range names {
		if req.Changed(name) && !slices.Contains(own.Names(), name) {
			return fmt.Errorf("--%s is not a flag of the %s family (%s)", name, req.Family, req.owners(name))
		}
	}
	if !resuming {
		return nil
	}
	return req.checkResumable(own, func(name string) bool { return !own.Resumable(name) })
}

// checkResumable refuses a flag of the core or of tf that the user set and that fixed says the checkpoint fixes.
func (req *TrainRequest) checkResumable(tf TrainFlags, fixed func(string) bool) error {
	for _, name := range append(req.Core.Names(), tf.Names()...) {
		if req.Changed(name) && !req.Core.Resumable(name) && fixed(name) {
			return fmt.Errorf("--%s cannot change when resuming (the checkpoint fixes it); only %s can", name, req.resumable(tf))
		}
	}
	return nil
}

// resumableAnywhere reports whether some family lets flag name change on resume.
func (req *TrainRequest) resumableAnywhere(name string) bool {
	for _, tf := range req.Flags {
		if tf.Resumable(name) {
			return true
		}
	}
	return false
}

// owners says which families have flag name.
func (req *TrainRequest) owners(name string) string {
	var fams []string
	for fam, tf := range req.Flags {
		if slices.Contains(tf.Names(), name) {
			fams = append(fams, fam)
		}
	}
	slices.Sort(fams)
	return fmt.Sprintf("it applies to --family %v only", fams)
}

// resumable lists the flags that may change when resuming a run of own's family.
func (req *TrainRequest) resumable(own TrainFlags) string {
	var names []string
	for _, n := range append(req.Core.Names(), own.Names()...) {
		if req.Core.Resumable(n) || own.Resumable(n) {
			names = append(names, "--"+n)
		}
	}
	return fmt.Sprint(names)
}

// start readies the family's session: a resumed run's, or a fresh run's in its locked directory.
func (req *TrainRequest) start(backend compute.Backend, resumed *Run) (Session, string, func(), error) {
	tf := req.Flags[req.Family]
	core := func(c *learn.Config) { req.Core.Apply(c, req.Changed) }
	runDir := req.Out
	if resumed != nil {
		if runDir == "" {
			runDir = filepath.Dir(resumed.Dir)
		}
		sess, err := tf.Resume(resumed.Model, core, req.Input)
		return sess, runDir, func() {}, err
	}
	cfg, err := tf.Configure(req.Preset, req.Data, core, req.Changed)
	if err != nil {
		return nil, "", nil, err
	}
	if runDir == "" {
		runDir = filepath.Join("runs", fmt.Sprintf("%s-%s", cfg.RunName(), time.Now().Format("20060102-150405")))
	}
	_, statErr := os.Stat(runDir)
	created := os.IsNotExist(statErr)
	unlock, err := lockFresh(runDir)
	if err != nil {
		return nil, "", nil, err
	}
	in := req.Input
	in.Data = AbsPath(in.Data)
	sess, err := tf.New(backend, cfg, in)
	if err != nil {
		unlock()
		removeNew(runDir, created) // leave no directory holding only the lock behind
		return nil, "", nil, err
	}
	return sess, runDir, unlock, nil
}

// train runs the loop of a started session, then the final evaluation and the summary.
func (req *TrainRequest) train(sess Session, runDir string, resumed *Run) error {
	resumeDir := ""
	if resumed != nil {
		resumeDir = resumed.Dir
	}
	tr := sess.Trainer()
	logFile, err := startRun(tr, runDir, resumeDir, req.Stderr)
	if err != nil {
		return err
	}
	defer logFile.Close()
	sess.SetLog(logFile)
	fmt.Fprintf(req.Stderr, "%s; run directory: %s; backend: %s\n", sess.Describe(), runDir, req.Backend)
	l := loop{step: func() (int, string, error) {
		progress, err := sess.Step()
		return tr.State.Step, progress, err
	}, save: func() (string, error) { return sess.Save(runDir) },
		start: tr.State.Step, iterations: tr.Core.Config.Iterations, saveEvery: tr.Core.Config.SaveEvery}
	sel, err := newSelection(sess, runDir)
	if err != nil {
		return err
	}
	if p, ok := sess.(Periodic); ok {
		l.after = func(it int, bar Bar, last bool) (string, error) {
			warning, err := p.After(it, last)
			if warning != "" {
				bar.Clear()
				req.Warn(warning)
			}
			if err != nil {
				return "", err
			}
			return sel.after(it)
		}
	}
	res, err := l.run(req.UI, req.MaxTime)
	if err != nil {
		return err
	}
	res.report(req.Stderr, req.MaxTime, runDir, tr.Timing)
	if sel.best != nil {
		fmt.Fprintf(req.Stderr, "best: %s (validation NLL %.3f on %d sentences at iteration %d; RUN/best names it)\n",
			filepath.Join(runDir, sel.best.Checkpoint), sel.best.ValidNLL, sel.best.Sentences, sel.best.Step)
	}
	skip := ""
	switch {
	case res.interrupted():
		skip = "interrupted before the evaluation"
	case req.NoEval:
		skip = "--no-eval"
	}
	sum := res.summary(runDir, tr.Timing)
	if sel.best != nil {
		sum.Best, sum.BestDir = sel.best, filepath.Join(runDir, sel.best.Checkpoint)
	}
	rep, err := finishWatched(sess, sum, skip, req.Stderr, os.Exit)
	if err != nil {
		return err
	}
	if req.JSON {
		if err := PrintJSON(req.Stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(req.Stdout, rep.Format())
	}
	return res.stopped()
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
