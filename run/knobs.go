package run

import (
	"fmt"

	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
	"github.com/spf13/pflag"
)

// Knob is a hyperparameter flag of `lebm train`: its name, usage, the field of C it sets (a pointer to an
// int, float64, string or uint64 field; the checkpoint stores the field under its JSON key), and whether
// it may change when a run is resumed.
type Knob[C any] struct {
	Name, Usage string
	Field       func(*C) any
	Resumable   bool
}

// Knobs are knobs bound to a flag set: the flags' values live in a C of their own until Apply copies
// those the user set into a configuration.
type Knobs[C any] struct {
	list   []Knob[C]
	values C
}

// BindKnobs adds the knobs' flags to fs (each described as defaulting to the preset's value).
func BindKnobs[C any](fs *pflag.FlagSet, knobs []Knob[C]) *Knobs[C] {
	k := &Knobs[C]{list: knobs}
	for _, kn := range knobs {
		usage := kn.Usage + " (default: the preset's)"
		switch p := kn.Field(&k.values).(type) {
		case *int:
			fs.IntVar(p, kn.Name, 0, usage)
		case *float64:
			fs.Float64Var(p, kn.Name, 0, usage)
		case *string:
			fs.StringVar(p, kn.Name, "", usage)
		case *uint64:
			fs.Uint64Var(p, kn.Name, 0, usage)
		default:
			panic(fmt.Sprintf("knob %s: field of type %T", kn.Name, p))
		}
	}
	return k
}

// Apply copies the values of the knobs that changed says were set into cfg.
func (k *Knobs[C]) Apply(cfg *C, changed func(name string) bool) {
	for _, kn := range k.list {
		if !changed(kn.Name) {
			continue
		}
		switch src := kn.Field(&k.values).(type) {
		case *int:
			*kn.Field(cfg).(*int) = *src
		case *float64:
			*kn.Field(cfg).(*float64) = *src
		case *string:
			*kn.Field(cfg).(*string) = *src
		case *uint64:
			*kn.Field(cfg).(*uint64) = *src
		}
	}
}

// Names are the knobs' flag names.
func (k *Knobs[C]) Names() []string {
	var out []string
	for _, kn := range k.list {
		out = append(out, kn.Name)
	}
	return out
}

// Resumable reports whether knob name may change when a run is resumed.
func (k *Knobs[C]) Resumable(name string) bool {
	for _, kn := range k.list {
		if kn.Name == name {
			return kn.Resumable
		}
	}
	return false
}

// CoreKnobs are the flags of the shared hyperparameters (learn.Config), the same for every family.
var CoreKnobs = []Knob[learn.Config]{
	{Name: "z", Usage: "latent dimension", Field: func(c *learn.Config) any { return &c.ZDim }},
	{Name: "prior", Usage: "prior: " + prior.EBM + " (latent EBM) or " + prior.Gaussian + " (fixed N(0,I) ablation)",
		Field: func(c *learn.Config) any { return &c.Prior }},
	{Name: "ebm-width", Usage: "hidden width nef of f_alpha", Field: func(c *learn.Config) any { return &c.EBMWidth }},
	{Name: "k0", Usage: "prior chain Langevin steps", Field: func(c *learn.Config) any { return &c.K0 }},
	{Name: "s0", Usage: "prior chain step size", Field: func(c *learn.Config) any { return &c.S0 }},
	{Name: "k1", Usage: "posterior chain Langevin steps", Field: func(c *learn.Config) any { return &c.K1 }},
	{Name: "s1", Usage: "posterior chain step size", Field: func(c *learn.Config) any { return &c.S1 }},
	{Name: "posterior-init", Usage: "posterior chain start: noise (N(0,I), the paper), persistent (each example's last z), " +
		"encoder (inference network q_phi; with --k1 0 it replaces the chain)", Field: func(c *learn.Config) any { return &c.PosteriorInit }},
	{Name: "prior-init", Usage: "prior chain start: noise (N(0,I), the paper) or synthesis (synthesis network q_psi; " +
		"with --k0 0 it replaces the chain)", Field: func(c *learn.Config) any { return &c.PriorInit }},
	{Name: "s0-end", Usage: "prior chain step size at its last step, geometric schedule from s0 (0 = constant)",
		Field: func(c *learn.Config) any { return &c.S0End }},
	{Name: "s1-end", Usage: "posterior chain step size at its last step, geometric schedule from s1 (0 = constant)",
		Field: func(c *learn.Config) any { return &c.S1End }},
	{Name: "k1-warmup", Usage: "posterior chain steps during the first --k1-warmup-iters iterations",
		Field: func(c *learn.Config) any { return &c.K1Warmup }},
	{Name: "k1-warmup-iters", Usage: "iterations that use --k1-warmup posterior steps (0 = none)",
		Field: func(c *learn.Config) any { return &c.K1WarmupIters }},
	{Name: "prior-weight-warmup", Usage: "iterations over which the prior term's weight in the posterior energy (and the " +
		"encoder's KL) grows from 0 to 1 (0 = always 1)", Field: func(c *learn.Config) any { return &c.PriorWeightWarmup }},
	{Name: "free-bits", Usage: "inference network: nats per latent dimension of KL that cost nothing (free bits against " +
		"posterior collapse; 0 = none)", Field: func(c *learn.Config) any { return &c.FreeBits }},
	{Name: "encoder-rate", Usage: "inference network's rate term: model (KL to the model's prior p_alpha, the seed's objective) " +
		"or base (KL to N(0,I): the encoder as a VAE-trained proposal for the posterior chain)",
		Field: func(c *learn.Config) any { return &c.EncoderRate }},
	{Name: "lr-gen", Usage: "generator (decoder) Adam learning rate", Field: func(c *learn.Config) any { return &c.LRGen }},
	{Name: "lr-prior", Usage: "prior (EBM) Adam learning rate (0: the prior keeps its initial parameters; the generator learns against it)",
		Field: func(c *learn.Config) any { return &c.LRPrior }},
	{Name: "clip", Usage: "generator gradient-norm clip (0 = none)", Field: func(c *learn.Config) any { return &c.GenClip }},
	{Name: "batch", Usage: "batch size", Field: func(c *learn.Config) any { return &c.Batch }},
	{Name: "iterations", Usage: "training iterations (with --resume: the new total)", Field: func(c *learn.Config) any { return &c.Iterations },
		Resumable: true},
	{Name: "seed", Usage: "random seed (initialisation, batch order, chains)", Field: func(c *learn.Config) any { return &c.Seed }},
	{Name: "save-every", Usage: "iterations between checkpoints", Field: func(c *learn.Config) any { return &c.SaveEvery }, Resumable: true},
	{Name: "keep", Usage: "how many of the newest checkpoints the run directory keeps, besides the best by validation NLL (--eval-every) (0 = every one)",
		Field: func(c *learn.Config) any { return &c.Keep }, Resumable: true},
	{Name: "log-every", Usage: "iterations between records of the JSON-lines log", Field: func(c *learn.Config) any { return &c.LogEvery },
		Resumable: true},
}

// Renamed registers an old flag name that is refused with a message naming its new name (hidden from
// --help): one name per knob.
func Renamed(fs *pflag.FlagSet, old, now string) {
	Refused(fs, old, "this flag was renamed: use --"+now)
}

// Refused declares a hidden flag that is refused with why, with or without a value: a flag lebm no
// longer has (renamed, or removed with what replaces it).
func Refused(fs *pflag.FlagSet, name, why string) {
	fs.Var(refused(why), name, why)
	fs.Lookup(name).NoOptDefVal = "any value" // given with or without a value, it is refused with why
	_ = fs.MarkHidden(name)
}

type refused string

func (r refused) String() string { return "" }
func (r refused) Type() string   { return "refused" }
func (r refused) Set(string) error {
	return fmt.Errorf("%s", string(r))
}

// FloorWhy is why the floor flags were removed: the floor of MI and AU comes from the evaluated sentences'
// own chains, dealt to them at random.
const FloorWhy = "this flag was removed: the floor of MI and AU now comes from the evaluated sentences' own chains, dealt to the sentences at random (no copies of one sentence)"
