package train

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/families"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Options are the flags of `lebm train`. The hyperparameter flags (run.CoreKnobs and each family's own)
// are bound to a flag set of their own: Set gives one as the command line would.
type Options struct {
	Data    string // data path ("" = the family's embedded data)
	Preset  string // "" = the family's default
	Out     string // run directory ("" = runs/<preset>-<time>)
	Resume  string // run directory to continue
	Backend string
	NoEval  bool
	NewData bool // --resume on other training data than the run's, on purpose
	JSON    bool
	Quiet   bool
	Family  string        // "" = the registry's default (text), or the resumed run's
	MaxTime time.Duration // stop training after this long (0 = no limit)

	Families       *run.Registry // nil: families.Standard()
	Stdout, Stderr io.Writer

	flags *pflag.FlagSet // the hyperparameter and family flags, bound
	core  *run.Knobs[learn.Config]
	fams  map[string]run.TrainFlags
}

// bind adds the shared hyperparameter flags and every family's own flags to fs.
func (o *Options) bind(fs *pflag.FlagSet) {
	o.Families = families.Or(o.Families)
	o.flags, o.core, o.fams = fs, run.BindKnobs(fs, run.CoreKnobs), map[string]run.TrainFlags{}
	for _, f := range o.Families.Families() {
		o.fams[f.Name()] = f.TrainFlags(fs)
	}
}

// bound binds the flags to a flag set of their own unless NewCmd bound them to the command's (for
// callers that fill Options in code).
func (o *Options) bound() {
	if o.flags == nil {
		o.bind(pflag.NewFlagSet("train", pflag.ContinueOnError))
	}
}

// Set sets a hyperparameter or family flag to value as if given on the command line.
func (o *Options) Set(name, value string) error {
	o.bound()
	if err := o.flags.Set(name, value); err != nil {
		return fmt.Errorf("--%s: %w", name, err)
	}
	return nil
}

// family is the family the options train: --family, else the registry's default (a resumed run's own
// family is checked by run.Train).
func (o *Options) family() string {
	if o.Family != "" {
		return o.Family
	}
	return o.Families.Default().Name()
}

// Configure is the configuration a fresh run of these options would train (the family's preset with the
// flags set), without starting it.
func (o *Options) Configure() (run.Config, error) {
	o.bound()
	tf, ok := o.fams[o.family()]
	if !ok {
		return nil, fmt.Errorf("--family: unknown family %q (families: %v)", o.family(), o.Families.Names())
	}
	return tf.Configure(o.Preset, o.Data, func(c *learn.Config) { o.core.Apply(c, o.flags.Changed) }, o.flags.Changed)
}

// ResumeFrom turns the options into the resumption of the run at from: of the flags set, only those a
// resumed run may change are kept (its checkpoint fixes the rest).
func (o *Options) ResumeFrom(from string) error {
	o.bound()
	old, fam := o.flags, o.fams[o.family()]
	o.bind(pflag.NewFlagSet("train", pflag.ContinueOnError))
	o.Resume = from
	var err error
	old.Visit(func(f *pflag.Flag) {
		if err == nil && (o.core.Resumable(f.Name) || fam != nil && fam.Resumable(f.Name)) {
			err = o.Set(f.Name, f.Value.String())
		}
	})
	return err
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a latent EBM-prior model: LSTM text model, or image generator with --family image",
		Long: `Train a model whose latent prior is an energy-based model, by maximum likelihood with short-run
Langevin chains for the prior and the posterior (Pang et al., NeurIPS 2020).

Without --data it trains on the family's embedded generated data (no download). For text, --data DIR
reads DIR/train.txt, DIR/valid.txt and DIR/test.txt (one sentence per line, whitespace tokens) and
trains on whole sentences (--max-len leaves the longer ones out, counted). Text presets learn the
README's recommended way (--learning paper: the paper's); --data without --preset sizes the model for the
corpus (preset corpus). Hyperparameter flags override the preset's values. Checkpoints go to the run directory (--out) every
--save-every iterations and at the end; a run is continued with --resume RUN_DIR.

With --family image it trains a transposed-convolution image generator (the paper's Table 2) on the
embedded generated shapes, or with --data PATH --preset svhn|cifar10|celeba|mnist on SVHN's .mat files,
CIFAR-10's binary batches, a folder of PNG/JPEG images (centre-cropped and resized) or MNIST idx files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "data: a corpus directory holding train.txt, valid.txt and test.txt, or the images of --family image (default: the embedded generated data)")
	f.StringVar(&opts.Out, "out", "", "run directory for checkpoints and logs (default: runs/<preset>-<date>-<time>)")
	f.StringVar(&opts.Resume, "resume", "", "continue the run in this run directory (same optimizer state and step count)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.NoEval, "no-eval", false, "skip the test-set evaluation at the end")
	f.BoolVar(&opts.NewData, "new-data", false, "with --resume and --data: train on other data than the run's (without it, --data may only point at the run's own data, moved)")
	f.BoolVar(&opts.JSON, "json", false, "print the final summary as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	f.DurationVar(&opts.MaxTime, "max-time", 0, "stop training after this long (e.g. 30m), checkpoint and evaluate as at the last iteration (0 = no limit)")
	opts.bind(f)
	var fams, presets []string
	for _, fam := range opts.Families.Families() {
		fams = append(fams, fam.Name()+" ("+fam.Summary()+")")
		presets = append(presets, fam.Name()+": "+strings.Join(fam.Presets(), " "))
	}
	f.StringVar(&opts.Family, "family", "", "generator family: "+strings.Join(fams, ", ")+" (default: "+opts.Families.Default().Name()+", or the resumed run's)")
	f.StringVar(&opts.Preset, "preset", "", "hyperparameter preset; "+strings.Join(presets, "; ")+" (default: embedded, or with text --data the corpus preset, sized for the corpus)")
	return cmd
}

// Run trains as the options say (run.Train: the lifecycle).
func Run(opts *Options) error {
	backend, err := engine.NewBackend(opts.Backend)
	if err != nil {
		return err
	}
	defer backend.Finalize() // frees device memory (a sweep runs many trainings in one process)
	return run.Train(backend, opts.Families, opts.request(backend))
}

// request is the training the options describe (backend nil: not yet created).
func (o *Options) request(backend compute.Backend) *run.TrainRequest {
	o.bound()
	ui := run.UI{Stderr: o.Stderr, Quiet: o.Quiet, Bars: clix.Bars(o.Stderr, o.Quiet)}
	req := &run.TrainRequest{Family: o.Family, Core: o.core, Flags: o.fams, Changed: o.flags.Changed,
		Preset: o.Preset, Out: o.Out, Resume: o.Resume, Input: run.Input{Data: o.Data, NewData: o.NewData, UI: ui},
		NoEval: o.NoEval, MaxTime: o.MaxTime, JSON: o.JSON, Stdout: o.Stdout}
	if req.Family == "" && o.Resume == "" {
		req.Family = o.family()
	}
	if backend != nil {
		req.Backend = engine.Describe(o.Backend, backend)
	}
	return req
}

// LogFile is a run's JSON-lines training log.
const LogFile = run.LogFile
