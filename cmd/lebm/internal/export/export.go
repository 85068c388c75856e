package export

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm export`.
type Options struct {
	Checkpoint string
	Out        string
	Backend    string
	JSON       bool

	Families       *run.Registry // nil: families.Standard()
	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export CHECKPOINT --out DIR",
		Short: "Write a model as model.safetensors + config.json (+ tokenizer.json) in PyTorch's layout",
		Long: `Write the model of a checkpoint (a run directory or one of its step-N directories) into a new directory
a Hugging Face user recognises: model.safetensors with every tensor of the model (decoder or generator,
the prior f_alpha, and the inference and synthesis networks where the run has them) named and laid out
as the PyTorch modules of examples/pytorch/lebm.py hold them, config.json with the hyperparameters
under the keys of the checkpoint's hparams.json, and (text) the run's tokenizer.json. The optimizer's
state is not exported. lebm import reads such a directory back.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "", "directory to write (new or empty; required)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Run exports as the options say (run.Exporter).
func Run(opts *Options) error {
	if opts.Out == "" {
		return fmt.Errorf("--out is required: the directory to write the export into")
	}
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, "be exported", opts.Stdout, opts.JSON,
		func(e run.Exporter, _ run.Config) (run.Report, error) {
			return e.Export(run.ExportRequest{Out: opts.Out, UI: run.UI{Stderr: opts.Stderr}})
		})
}
