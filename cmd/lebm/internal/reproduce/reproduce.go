package reproduce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/evalcmd"
	"github.com/lebm/lebm/cmd/lebm/internal/lm"
	"github.com/lebm/lebm/cmd/lebm/internal/sweep"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm reproduce`.
type Options struct {
	Corpus       string        // ptb, snli or yahoo: the preset (Table 3 sizes, Table 1 chains) and the published rows
	Data         string        // corpus directory: train.txt, valid.txt, test.txt
	Out          string        // reproduction directory: one directory per stage, table.md, table.json
	Iterations   int           // each latent model's training iterations (0 = the preset's; under --max-time BudgetIterations, a cap)
	MaxTime      time.Duration // the whole reproduction's budget, evaluations included (Budget; 0 = no limit: --iterations decide)
	LMIterations int           // the real-data LM's iterations (0 = as many as the latent models')
	TrainFlags   string        // more `lebm train` flags for both latent models
	EvalFlags    string        // more `lebm eval` flags for both evaluations (estimator settings, --gen-samples, ...)
	Backend      string
	JSON, Quiet  bool

	Stdout, Stderr io.Writer
}

// Corpora are the corpora the protocol knows (each a text preset with published rows).
var Corpora = []string{"ptb", "snli", "yahoo"}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reproduce CORPUS",
		Short: "Run the paper's text protocol (Table 2) on ptb, snli or yahoo and tabulate it beside the published numbers",
		Long: `Reproduce Table 2 of Pang et al. 2020 on CORPUS (ptb, snli or yahoo; the corpus itself is --data, with train.txt,
valid.txt and test.txt). Stages, each in a directory of --out and each skipped when it has finished (rerun
the same command to continue an interrupted reproduction):
  ebm/        the latent EBM model, the CORPUS preset (Table 3 sizes, Table 1 chains, the recommended learning:
              --train-flags "--learning paper" for the paper's)
  gaussian/   the same with a fixed gaussian prior (the ablation), same seed, as many iterations
  lm/         a plain LSTM language model of the real training data (its test PPL is the "real data"
              row; it scores the samples for forward PPL)
  each latent model diagnosed on 500 validation sentences 10 times while it trains, its checkpoint of the
  lowest validation NLL (RUN/best) kept; then that checkpoint evaluated on the test split, once, with
  lebm eval --generation (whole sentences)
  table.md, table.json   the measured rows beside the published ones, with how each number was estimated
  curve.png, curve-time.png   validation NLL of every stage against iterations and wall-clock

--max-time is the budget of the whole reproduction, evaluations included: shared between the stages
before anything starts (printed, and kept in budget.json with what each stage has spent, so that a rerun
goes on with the time left); the latent models then train until their time is up.

Example (two hours on a CPU; the paper trains about 40,000 iterations):
  lebm reproduce ptb --data corpora/ptb --out runs/repro --max-time 2h`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Corpus = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "corpus directory with train.txt, valid.txt and test.txt (required)")
	f.StringVar(&opts.Out, "out", "", "reproduction directory (required)")
	f.IntVar(&opts.Iterations, "iterations", 0, "training iterations of each latent model (default: the preset's; under --max-time at most 40,000, the time decides)")
	f.DurationVar(&opts.MaxTime, "max-time", 0, "the whole reproduction's time, evaluations included, shared between the stages before "+
		"anything starts (printed, and kept in OUT/budget.json: a rerun goes on with what is left); --iterations then caps each latent "+
		"model's training (0 = no limit: --iterations decide)")
	f.IntVar(&opts.LMIterations, "lm-iterations", 0, "training iterations of the real-data language model (default: as many as the latent models')")
	f.StringVar(&opts.TrainFlags, "train-flags", "", "more `lebm train` flags for both latent models, e.g. \"--hidden 256\"")
	f.StringVar(&opts.EvalFlags, "eval-flags", "", "more `lebm eval` flags for both evaluations, e.g. \"--max-sentences 500 --gen-samples 500\"")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the table as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bars")
	return cmd
}

// Stage names (directories of --out).
const (
	StageEBM      = "ebm"
	StageGaussian = "gaussian"
	StageLM       = "lm"
)

// EvalFile is a latent model's finished evaluation inside its stage directory; LMFile the language
// model's scores inside lm/.
const (
	EvalFile = "reproduce_eval.json"
	LMFile   = "reproduce_lm.json"
)

// Evaluation is a latent model's finished evaluation with the flags it ran with.
type Evaluation struct {
	Flags        string           `json:"flags"`
	MaxSentences int              `json:"max_sentences,omitempty"` // the first N test sentences (a budget's choice; 0: all)
	Checkpoint   string           `json:"checkpoint"`              // RUN/best (selected by validation NLL) or RUN (its last)
	Seconds      float64          `json:"seconds"`
	Result       *text.EvalReport `json:"result"`
}

// LMStage is the real-data language model's outcome.
type LMStage struct {
	Config  text.LMConfig `json:"config"`
	Seconds float64       `json:"seconds"` // training and scoring (only the scoring when it was found trained)
	Result  lm.Result     `json:"result"`
}

// Run reproduces as the options say.
func Run(opts *Options) error {
	if !slices.Contains(Corpora, opts.Corpus) {
		return fmt.Errorf("reproduce: corpus %q: expected one of %v", opts.Corpus, Corpora)
	}
	if opts.Data == "" {
		return fmt.Errorf("reproduce %s needs its corpus: --data DIR with train.txt, valid.txt and test.txt", opts.Corpus)
	}
	if opts.Out == "" {
		return fmt.Errorf("reproduce: --out is required")
	}
	if opts.Iterations < 0 || opts.LMIterations < 0 || opts.MaxTime < 0 {
		return fmt.Errorf("reproduce: --iterations, --lm-iterations and --max-time must not be negative")
	}
	if err := refuseFlags("--train-flags", opts.TrainFlags, trainOwned); err != nil {
		return err
	}
	if err := refuseFlags("--eval-flags", opts.EvalFlags, evalOwned); err != nil {
		return err
	}
	if err := checkEvalFlags(opts.EvalFlags); err != nil { // before hours of training, not after
		return fmt.Errorf("--eval-flags: %w", err)
	}
	data, err := filepath.Abs(opts.Data)
	if err != nil {
		return err
	}
	if err := needSplits(data); err != nil {
		return err
	}
	budget, err := opts.budget()
	if err != nil {
		return err
	}
	models := []sweep.Setting{
		{Name: StageEBM, Flags: opts.trainFlags(data, "ebm", 0, budget)},
		{Name: StageGaussian, Flags: opts.trainFlags(data, "gaussian", 0, budget)},
	}
	trainOpts, unlock, err := sweep.CheckThenLock(opts.Out, "lebm reproduce", models, opts.parseTrain)
	if err != nil {
		return err
	}
	defer unlock()
	if budget != nil {
		if err := budget.Attach(opts.Out); err != nil {
			return err
		}
		opts.say("%s", budget.Describe())
	}
	var trained []*sweep.Result
	for i, s := range models {
		to := trainOpts[i]
		if i == 1 && budget != nil { // the ablation trains as many iterations as the EBM prior reached
			s.Flags = opts.trainFlags(data, "gaussian", trained[0].Summary.Iterations, budget)
			if to, err = opts.parseTrain(s); err != nil {
				return err
			}
		}
		r, err := opts.trainStage(s, to.options, budget)
		if err != nil {
			return fmt.Errorf("stage %s: %w (finished stages keep their results; rerun to continue)", s.Name, err)
		}
		trained = append(trained, r)
	}
	lmStage, err := opts.languageModel(trainOpts[0].config, data, trained[0].Summary.Iterations, budget)
	if err != nil {
		return fmt.Errorf("stage %s: %w", StageLM, err)
	}
	sentences, err := opts.evalSentences(data, budget)
	if err != nil {
		return err
	}
	var evals []*Evaluation
	for _, s := range models {
		e, err := opts.evaluate(s.Name, lmStage.Result.Checkpoint, budget, sentences)
		if err != nil {
			return fmt.Errorf("stage %s: evaluation: %w", s.Name, err)
		}
		evals = append(evals, e)
	}
	t := NewTable(opts, trained, evals, lmStage, budget)
	js, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return err
	}
	md := t.Markdown()
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "table.md"), []byte(md)); err != nil {
		return err
	}
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "table.json"), js); err != nil {
		return err
	}
	if err := drawCurves(opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, t)
	}
	fmt.Fprint(opts.Stdout, md)
	fmt.Fprintf(opts.Stdout, "\nwritten: %s, %s, %s\n", filepath.Join(opts.Out, "table.md"), filepath.Join(opts.Out, "table.json"),
		filepath.Join(opts.Out, CurveFile))
	return nil
}

// needSplits refuses a corpus directory without the three splits a reproduction reads: train.txt (the
// models), valid.txt (the selection of each latent model's checkpoint) and test.txt (the table).
func needSplits(data string) error {
	for _, split := range []struct{ file, why string }{{"train.txt", "the models train on it"},
		{"valid.txt", "each latent model's checkpoint is selected on it"}, {"test.txt", "the table reports it"}} {
		path := filepath.Join(data, split.file)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("reproduce needs %s (%s): %w", path, split.why, err)
		}
	}
	return nil
}

// budget plans --max-time (PlanBudget), or reads the plan an interrupted reproduction of the same
// --max-time recorded in --out (nil without --max-time). A reproduction started with a budget is not
// continued without it, nor one started without a budget with one: their stages' flags differ.
func (o *Options) budget() (*Budget, error) {
	b, found, err := LoadBudget(o.Out)
	if err != nil {
		return nil, err
	}
	switch {
	case o.MaxTime == 0 && found:
		return nil, fmt.Errorf("%s was planned for --max-time %v: rerun with it to continue, or choose another --out",
			filepath.Join(o.Out, BudgetFile), round(b.Total))
	case o.MaxTime == 0:
		return nil, nil
	case !found && exists(filepath.Join(o.Out, StageEBM)):
		return nil, fmt.Errorf("%s holds a reproduction started without --max-time: rerun it without, or choose another --out", o.Out)
	case !found:
		return PlanBudget(o.MaxTime)
	}
	if round(b.Total) != round(o.MaxTime.Seconds()) {
		return nil, fmt.Errorf("%s was planned for --max-time %v, not %v: rerun with --max-time %v to continue it, or choose another --out",
			filepath.Join(o.Out, BudgetFile), round(b.Total), o.MaxTime, round(b.Total))
	}
	return b, nil
}

// trainStage trains a latent model (sweep.RunSetting), within its allowance when there is a budget.
func (o *Options) trainStage(s sweep.Setting, to *train.Options, budget *Budget) (*sweep.Result, error) {
	if budget == nil {
		o.say("stage %s: train, unless it has finished (%s)", s.Name, s.Flags)
		return sweep.RunSetting(s, to, o.Stderr)
	}
	to.MaxTime = max(budget.Allowance(s.Name), time.Nanosecond) // 0 would mean no limit
	o.say("stage %s: train for at most %v (budget left %v), unless it has finished (%s)", s.Name, to.MaxTime.Round(time.Second),
		budget.Left().Round(time.Second), s.Flags)
	var r *sweep.Result
	err := budget.Run(s.Name, func() error {
		var err error
		r, err = sweep.RunSetting(s, to, o.Stderr)
		return err
	})
	return r, err
}

// The flags each stage sets itself: --train-flags and --eval-flags may not name them (the table would
// then describe another protocol than the one that ran).
var (
	trainOwned = []string{"data", "preset", "prior", "iterations", "max-time", "out", "resume", "family", "no-eval", "json", "backend", "eval-every-time"}
	evalOwned  = []string{"split", "generation", "lm", "json", "backend", "data"}
)

// checkEvalFlags parses flags as `lebm eval --generation` does and checks their values (evalcmd's Check).
func checkEvalFlags(flags string) error {
	cmd := evalcmd.NewCmd(&evalcmd.Options{}, func(eo *evalcmd.Options) error { return eo.Check() })
	cmd.SetArgs(append([]string{"checkpoint", "--generation"}, strings.Fields(flags)...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// refuseFlags rejects, in the flags given to option, any flag of owned (as --name or --name=value).
func refuseFlags(option, flags string, owned []string) error {
	for _, name := range owned {
		if names(flags, name) {
			return fmt.Errorf("%s: --%s is set by the reproduction itself (flags it owns: --%s)", option, name, strings.Join(owned, ", --"))
		}
	}
	return nil
}

// say prints a stage line unless quiet.
func (o *Options) say(format string, a ...any) {
	if !o.Quiet {
		fmt.Fprintf(o.Stderr, "reproduce: "+format+"\n", a...)
	}
}

// trainFlags are the model and budget flags of a latent model's training (what its saved result is
// checked against): the corpus's preset, the prior, the budget and the user's extra flags. iterations,
// when not 0, replaces the count (the gaussian ablation of a budgeted reproduction trains as many as the
// EBM prior reached); with a budget the diagnoses come by time, SelectionPoints over the stage's plan,
// and the stage's allowance bounds the training (train.Options.MaxTime, not a flag: it changes when an
// interrupted reproduction goes on).
func (o *Options) trainFlags(data, prior string, iterations int, budget *Budget) string {
	n := o.Iterations
	if n == 0 && budget != nil {
		n = BudgetIterations
	} else if n == 0 {
		p, _ := text.Preset(o.Corpus) // Run checked the name
		n = p.Iterations
	}
	if iterations > 0 {
		n = iterations
	}
	every := fmt.Sprintf("--eval-every %d", max(n/SelectionPoints, 1))
	if budget != nil {
		every = fmt.Sprintf("--eval-every-time %v", round(budget.Plan[StageEBM]/SelectionPoints))
	}
	f := []string{"--data", data, "--preset", o.Corpus, "--prior", prior, "--no-eval", "--iterations", fmt.Sprint(n),
		every, "--eval-every-sentences", fmt.Sprint(SelectionSentences)}
	return strings.Join(append(f, strings.Fields(o.TrainFlags)...), " ")
}

// Selection on validation: each latent model is diagnosed SelectionPoints times during its training on
// the first SelectionSentences validation sentences, and the checkpoint of the lowest validation NLL
// (RUN/best) is the one evaluated on the test split, once (--train-flags may set --eval-every and
// --eval-every-sentences otherwise).
const (
	SelectionPoints    = 10
	SelectionSentences = 500
)

// trainStage is a latent model's parsed training options and resolved configuration.
type trainStage struct {
	options *train.Options
	config  text.Config
}

// parseTrain parses a stage's training flags with `lebm train`'s own (presentation flags added).
func (o *Options) parseTrain(s sweep.Setting) (*trainStage, error) {
	args := append(strings.Fields(s.Flags), "--out", filepath.Join(o.Out, s.Name), "--json", "--backend", o.Backend)
	if o.Quiet {
		args = append(args, "--quiet")
	}
	to, err := sweep.TrainOptions(s, args)
	if err != nil {
		return nil, err
	}
	cfg, err := to.Configure()
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", s.Name, err)
	}
	return &trainStage{to, *cfg.(*text.Config)}, nil
}

// languageModel trains the real-data LM (sizes and vocabulary of the latent models' decoder), or scores
// the one a previous run trained. It trains --lm-iterations, by default as many as the EBM prior trained
// (iterations); with a budget, for at most its allowance, scoring itself on the validation sentences of
// the latent models' selection SelectionPoints times over its plan (its learning curve, lm/log.jsonl).
// An interrupted LM stage starts again (the LM saves when done).
func (o *Options) languageModel(cfg text.Config, data string, iterations int, budget *Budget) (*LMStage, error) {
	dir := filepath.Join(o.Out, StageLM)
	path := filepath.Join(dir, LMFile)
	lc := text.DefaultLMConfig(cfg)
	lc.Iterations = iterations
	if o.LMIterations > 0 {
		lc.Iterations = o.LMIterations
	}
	lc.Data = data
	// same: a saved LM is this stage's (with a budget it may have stopped before its iterations)
	same := func(c text.LMConfig) bool {
		if budget != nil && c.Iterations <= lc.Iterations {
			c.Iterations = lc.Iterations
		}
		return c == lc
	}
	var saved LMStage
	if found, err := clix.LoadResult(path, &saved); err != nil {
		return nil, err
	} else if found {
		if same(saved.Config) {
			return &saved, nil
		}
		return nil, fmt.Errorf("%s holds a language model of other settings (%+v, not %+v); remove %s or choose another --out", path, saved.Config, lc, dir)
	}
	start := time.Now()
	var res lm.Result
	work := func() error {
		var err error
		if _, statErr := os.Stat(filepath.Join(dir, ckpt.LatestFile)); statErr == nil {
			o.say("stage %s: trained before; scoring it", StageLM)
			if res, err = lm.Score(o.Backend, dir); err == nil && !same(res.Config) {
				err = fmt.Errorf("%s holds a language model of other settings (%+v, not %+v); remove it or choose another --out", dir, res.Config, lc)
			}
			return err
		}
		if err := os.RemoveAll(dir); err != nil { // an interrupted LM stage left no model: start it again
			return err
		}
		limits := lm.Limits{}
		if budget != nil {
			limits = lm.Limits{MaxTime: max(budget.Allowance(StageLM), time.Nanosecond), Every: round(budget.Plan[StageLM] / SelectionPoints),
				ValidSentences: SelectionSentences}
			o.say("stage %s: train an LSTM language model on the real training data (%d iterations, at most %v; budget left %v)",
				StageLM, lc.Iterations, limits.MaxTime.Round(time.Second), budget.Left().Round(time.Second))
		} else {
			o.say("stage %s: train an LSTM language model on the real training data (%d iterations)", StageLM, lc.Iterations)
		}
		res, err = lm.Train(lc, data, dir, o.Backend, o.Stderr, o.Quiet, limits)
		return err
	}
	if err := budget.Run(StageLM, work); err != nil {
		return nil, err
	}
	st := &LMStage{Config: res.Config, Seconds: time.Since(start).Seconds(), Result: res}
	return st, clix.SaveResult(path, st)
}

// Under a budget, a latent model's test evaluation takes these settings unless --eval-flags sets them:
// BudgetEvalSamples importance samples (the diagnoses' estimator, whose measured speed sizes the
// evaluation), BudgetGenSamples samples for the generation metrics and a reverse-PPL LM of
// BudgetLMIterations iterations; EvalFixedSeconds of the evaluation's allowance are kept for what does
// not grow with the sentences (log Z, the samples, the reverse-PPL LM).
const (
	BudgetEvalSamples  = 16
	BudgetGenSamples   = 500
	BudgetLMIterations = 200
	EvalFixedSeconds   = 90
)

// evalSentences is how many test sentences both latent models' evaluations cover (0: all, or as
// --eval-flags says): without a budget, all; with one, the first the evaluations' time buys at the speed
// of each model's last diagnosis, the fewer of the two, so that both rows score the same sentences (an
// evaluation already saved fixes it).
func (o *Options) evalSentences(data string, budget *Budget) (int, error) {
	if budget == nil || names(o.EvalFlags, "max-sentences") {
		return 0, nil
	}
	var saved Evaluation
	if found, err := clix.LoadResult(filepath.Join(o.Out, StageEBM, EvalFile), &saved); err != nil || found {
		return saved.MaxSentences, err
	}
	each := (budget.Allowance(StageEvalEBM) + time.Duration(budget.Plan[StageEvalGaussian]*float64(time.Second))) / 2
	n := 0
	for _, stage := range []string{StageEBM, StageGaussian} {
		m, err := o.sentencesFor(filepath.Join(o.Out, stage), data, each)
		if err != nil {
			return 0, err
		}
		if m > 0 && (n == 0 || m < n) {
			n = m
		}
	}
	return n, nil
}

// evaluate runs `lebm eval --generation` on the test split on a latent model's best checkpoint by
// validation NLL (its last when none was kept; forward PPL scored by the real-data LM at lmDir), or
// returns its saved evaluation when it ran with the same flags; sentences (0: all) is evalSentences'.
func (o *Options) evaluate(name, lmDir string, budget *Budget, sentences int) (*Evaluation, error) {
	run := filepath.Join(o.Out, name)
	path := filepath.Join(run, EvalFile)
	dir := run
	if _, ok, err := ckpt.ReadBest(run); err != nil {
		return nil, err
	} else if ok {
		dir = filepath.Join(run, ckpt.BestName)
	}
	flags := append([]string{"--split", "test", "--generation", "--lm", lmDir}, strings.Fields(o.EvalFlags)...)
	if budget != nil {
		for _, d := range []struct {
			flag  string
			value int
		}{{"samples", BudgetEvalSamples}, {"gen-samples", BudgetGenSamples}, {"lm-iterations", BudgetLMIterations}} {
			if !names(o.EvalFlags, d.flag) {
				flags = append(flags, fmt.Sprintf("--%s", d.flag), fmt.Sprint(d.value))
			}
		}
	}
	var saved Evaluation
	if found, err := clix.LoadResult(path, &saved); err != nil {
		return nil, err
	} else if found {
		if saved.Flags == strings.Join(flags, " ") {
			return &saved, nil
		}
		return nil, fmt.Errorf("%s holds an evaluation with other flags (%q, not %q); remove it or choose another --out", path, saved.Flags, strings.Join(flags, " "))
	}
	stage := "eval-" + name
	args := append([]string{dir, "--json", "--backend", o.Backend}, flags...)
	if sentences > 0 {
		args = append(args, "--max-sentences", fmt.Sprint(sentences))
	}
	if o.Quiet {
		args = append(args, "--quiet")
	}
	what := "all test sentences"
	if sentences > 0 {
		what = fmt.Sprintf("the first %d test sentences (what the budget's evaluation share covers, for both models)", sentences)
	}
	if budget != nil {
		o.say("stage %s: evaluate %s on %s, once (%s; allowance %v, budget left %v)", name, dir, what, strings.Join(flags, " "),
			budget.Allowance(stage).Round(time.Second), budget.Left().Round(time.Second))
	} else {
		o.say("stage %s: evaluate %s on %s, once (%s)", name, dir, what, strings.Join(flags, " "))
	}
	var out bytes.Buffer
	cmd := evalcmd.NewCmd(&evalcmd.Options{}, func(eo *evalcmd.Options) error {
		eo.Stdout, eo.Stderr = &out, o.Stderr
		return evalcmd.Run(eo)
	})
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	start := time.Now()
	if err := budget.Run(stage, cmd.Execute); err != nil {
		return nil, err
	}
	e := &Evaluation{Flags: strings.Join(flags, " "), MaxSentences: sentences, Checkpoint: dir, Seconds: time.Since(start).Seconds(), Result: &text.EvalReport{}}
	if err := json.Unmarshal(out.Bytes(), e.Result); err != nil {
		return nil, fmt.Errorf("reading the evaluation: %w", err)
	}
	if e.Result.EvalResult == nil || e.Result.Generation == nil {
		return nil, fmt.Errorf("the evaluation of %s printed no text metrics (is it an image run?)", dir)
	}
	return e, clix.SaveResult(path, e)
}

// names reports whether flags (as given to --eval-flags or --train-flags) name --flag.
func names(flags, flag string) bool {
	for _, f := range strings.Fields(flags) {
		if name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); strings.HasPrefix(f, "-") && name == flag {
			return true
		}
	}
	return false
}

// MinEvalSentences is the fewest test sentences a budgeted evaluation covers, whatever its allowance.
const MinEvalSentences = 100

// sentencesFor is how many test sentences a latent model's evaluation covers in allowance: at the speed
// of the run's last diagnosis (validation sentences per second, the same estimator), after
// EvalFixedSeconds, with a tenth to spare; 0 when the whole test split fits (or the run has no
// diagnosis to measure by), at least MinEvalSentences.
func (o *Options) sentencesFor(run, data string, allowance time.Duration) (int, error) {
	diags, err := sweep.ReadDiagnoses(filepath.Join(run, train.LogFile))
	if err != nil || len(diags) == 0 {
		return 0, err
	}
	last := diags[len(diags)-1]
	if last.Seconds <= 0 {
		return 0, nil
	}
	sents, err := corpora.ReadFile(filepath.Join(data, "test.txt"), 0)
	if err != nil {
		return 0, err
	}
	test := len(sents)
	rate := float64(last.Sentences) / last.Seconds
	n := int(0.9 * rate * (allowance.Seconds() - EvalFixedSeconds))
	if n >= test {
		return 0, nil
	}
	return max(n, MinEvalSentences), nil
}
