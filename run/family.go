package run

import (
	"fmt"
	"io"
	"slices"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/learn"
	"github.com/spf13/pflag"
)

// Family is a generator family as the product sees it (text, image, or one written outside this module):
// registered once in a Registry, it names itself, offers presets and its own training flags, and opens
// its checkpoints. Its models' abilities are the capability interfaces (see Need).
type Family interface {
	Name() string      // recorded in every checkpoint's hparams.json ("family")
	Summary() string   // one line for the help of `lebm train --family`
	Presets() []string // hyperparameter presets (--preset)
	// TrainFlags adds the family's own flags of `lebm train` to fs and returns them, bound to their values.
	TrainFlags(fs *pflag.FlagSet) TrainFlags
	// Open rebuilds the model of checkpoint directory dir, which ckpt.Open has verified.
	Open(backend compute.Backend, dir string) (Model, error)
}

// TrainFlags are a family's own flags of `lebm train`, bound to a flag set, and how a run is configured and
// started from them.
type TrainFlags interface {
	Names() []string            // the flags added
	Resumable(name string) bool // whether flag name may change when a run is resumed (a run option, not a hyperparameter)
	// Configure returns the named preset ("": the family's default for data, the --data path) with the
	// shared flags the user set applied by core and then the family's own flags that changed says were
	// set, validated.
	Configure(preset, data string, core func(*learn.Config), changed func(name string) bool) (Config, error)
	// New creates a model of cfg and readies it to train on in.Data.
	New(backend compute.Backend, cfg Config, in Input) (Session, error)
	// Resume readies the model of an opened checkpoint to continue its training, with the resumable
	// shared flags the user set applied by core.
	Resume(m Model, core func(*learn.Config), in Input) (Session, error)
}

// Config is a family's hyperparameters: the shared learn.Config and the family's own.
type Config interface {
	Learn() *learn.Config
	RunName() string // the default run directory's name before its time stamp (the preset, with the family where not text)
	Validate() error
}

// Model is an opened model of a family: its hyperparameters and a description; what else it can do is
// the capability interfaces it implements.
type Model interface {
	Hyperparameters() Config
	String() string
}

// Input is where a run's data is and how to talk to the user while it is read.
type Input struct {
	Data    string // data path as given (--data): "" = the embedded data, or for a resumed run the recorded one
	NewData bool   // a resumed run may train on other data than it recorded
	UI
}

// Session is a model being trained on its data: what the run lifecycle (Train) needs of a family.
type Session interface {
	Model() Model
	Trainer() *learn.Trainer
	Describe() string                              // the model, what it learns and the data (printed at the start)
	SetLog(w io.Writer)                            // the run's JSON-lines log, for the family's records
	Step() (progress string, err error)            // one learning iteration; progress describes it for the progress bar
	Save(runDir string) (string, error)            // a checkpoint of the model and the training state; its directory
	Finish(s Summary, skip string) (Report, error) // the final evaluation (skip: why there is none, "" = run it) with the run's summary
}

// Periodic is an optional part of a Session that does something every few iterations beside learning
// (text: the collapse diagnosis of --eval-every); a warning is shown to the user.
//
// last is set once, after the run's last iteration when it ended by its count or its time (not by a
// signal), so that a session whose work comes by time can do it there as well.
type Periodic interface {
	After(iteration int, last bool) (warning string, err error)
}

// Selecting is an optional part of a Periodic session whose periodic work scores the model on validation
// data (text: --eval-every's diagnosis): Validation is the NLL (nats per example, lower is better) After
// measured at iteration and on how many examples; ok is false when it measured none there. Selects is how
// many validation examples this run scores on (0: none, it selects nothing). The run keeps the checkpoint
// of the best score (ckpt.BestFile), and its final evaluation is that checkpoint's.
type Selecting interface {
	Validation(iteration int) (nll float64, examples int, ok bool)
	Selects() int
}

// Report is a command's result: printed with Format, or as JSON with --json.
type Report interface {
	Format() string
}

// Registry holds the families a command line knows, in order (the first is the default).
type Registry struct {
	families []Family
}

// NewRegistry registers families (names must differ).
func NewRegistry(families ...Family) (*Registry, error) {
	r := &Registry{}
	for _, f := range families {
		if _, ok := r.Lookup(f.Name()); ok {
			return nil, fmt.Errorf("family %q registered twice", f.Name())
		}
		r.families = append(r.families, f)
	}
	if len(r.families) == 0 {
		return nil, fmt.Errorf("a registry needs a family")
	}
	return r, nil
}

// Families are the registered families, the default first.
func (r *Registry) Families() []Family { return slices.Clone(r.families) }

// Names are the registered families' names.
func (r *Registry) Names() []string {
	var out []string
	for _, f := range r.families {
		out = append(out, f.Name())
	}
	return out
}

// Default is the first family registered.
func (r *Registry) Default() Family { return r.families[0] }

// Lookup returns the family named name.
func (r *Registry) Lookup(name string) (Family, bool) {
	for _, f := range r.families {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// Get returns the family named name, or an error listing the known ones.
func (r *Registry) Get(name string) (Family, error) {
	if f, ok := r.Lookup(name); ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown family %q (families: %v)", name, r.Names())
}
