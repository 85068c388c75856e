package importcmd

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/families"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm import`.
type Options struct {
	Dir     string
	Out     string
	Data    string
	Format  string
	Backend string
	JSON    bool

	Families       *run.Registry // nil: families.Standard()
	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import DIR --out RUN",
		Short: "Turn model.safetensors + config.json (lebm export, or PyTorch code) into a run directory",
		Long: `Read a directory holding model.safetensors (the tensors in PyTorch's layout, as lebm export writes
them and examples/pytorch/lebm.py's modules hold them), config.json (the family and its hyperparameters)
and, for text, tokenizer.json; write a run directory RUN whose checkpoint the other commands read:
eval (with --generation), sample, reconstruct, interpolate, plot. The run has no training state (Adam's
moments, the chains' generators, the batch order): train --resume refuses it. Wrong or missing tensors,
shapes, dtypes or config keys are refused naming the tensor or key and what was expected.

--data records the corpus (text) or images the run evaluates on by default (otherwise the family's
embedded data; every command also takes --data).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "", "run directory to write (new or empty; required)")
	f.StringVar(&opts.Data, "data", "", "the data the run evaluates on by default: a corpus directory (text) or images (default: the embedded data)")
	f.StringVar(&opts.Format, "format", "", "image models: reader of --data (mnist, cifar10, svhn, folder; default: the layout's)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Run imports as the options say (run.Registry.Import: the family config.json names).
func Run(opts *Options) error {
	if opts.Out == "" {
		return fmt.Errorf("--out is required: the run directory to write")
	}
	backend, err := engine.NewBackend(opts.Backend)
	if err != nil {
		return err
	}
	rep, err := families.Or(opts.Families).Import(backend, run.ImportRequest{Dir: opts.Dir, Out: opts.Out, Data: opts.Data, Format: opts.Format,
		UI: run.UI{Stderr: opts.Stderr}})
	if err != nil {
		return err
	}
	return clix.Print(opts.Stdout, rep, opts.JSON)
}
