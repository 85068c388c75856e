package reconstruct

import (
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm reconstruct`.
type Options struct {
	Checkpoint string
	Input      string // file, or "-" for standard input
	Posterior  clix.PosteriorFlags
	Decode     run.Decoding
	Backend    string
	JSON       bool
	Images     int    // image models: how many test images
	Out        string // image models: the PNG grid to write
	Cols       int    // image models: images per row

	Families *run.Registry // nil: families.Standard()

	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconstruct CHECKPOINT [FILE|-]",
		Short: "Reconstruct sentences (or test images): z inferred by the posterior chains, decoded",
		Long: `Read sentences (one per line, whitespace tokens) from FILE or standard input, infer z for each as
the mean of --chains posterior Langevin chains, decode it, and print input and reconstruction side by
side (tab-separated). Words outside the model's vocabulary become <unk> and are shown as such.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint, opts.Input = args[0], "-"
			if len(args) == 2 {
				opts.Input = args[1]
			}
			if opts.Stdin == nil {
				opts.Stdin = cmd.InOrStdin()
			}
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			if err := clix.CheckDecodeFlags(cmd, &opts.Decode); err != nil {
				return err
			}
			return run(opts)
		},
	}
	f := cmd.Flags()
	clix.AddPosteriorFlags(f, &opts.Posterior)
	clix.AddDecodeFlags(f, &opts.Decode)
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.IntVar(&opts.Images, "images", 16, "image models: number of test images to reconstruct")
	f.StringVar(&opts.Out, "out", "reconstructions.png", "image models: PNG file for the grid")
	f.IntVar(&opts.Cols, "cols", 8, "image models: images per row (at most the number of images)")
	return cmd
}

// Run reconstructs as the options say (run.Reconstructor).
func Run(opts *Options) error {
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, "reconstruct", opts.Stdout, opts.JSON,
		func(r run.Reconstructor, hp run.Config) (run.Report, error) {
			return r.Reconstruct(run.ReconstructRequest{Input: opts.Input, Stdin: opts.Stdin, Post: opts.Posterior.Resolve(hp),
				Decode: opts.Decode, Images: opts.Images, Grid: run.Grid{Out: opts.Out, Cols: opts.Cols}, UI: run.UI{Stderr: opts.Stderr}})
		})
}
