package interpolate

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm interpolate`.
type Options struct {
	Checkpoint    string
	First, Second string
	Points        int
	Posterior     clix.PosteriorFlags
	Decode        run.Decoding
	Backend       string
	JSON          bool
	Out           string // image models: the PNG to write

	Families *run.Registry // nil: families.Standard()

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; action is called with the parsed options.
func NewCmd(opts *Options, action func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "interpolate CHECKPOINT \"first sentence\" \"second sentence\"",
		Short: "Decode along the line between the inferred codes of two sentences (or two test images)",
		Long: `Infer z1 and z2 for two sentences (means of --chains posterior chains, as reconstruct does) and
decode z = (1 - a) z1 + a z2 for --points values of a from 0 to 1.

For an image model the two endpoints are indices of test images; the originals and the generated row
between them are written as a PNG (--out).`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint, opts.First, opts.Second = args[0], args[1], args[2]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			if err := clix.CheckDecodeFlags(cmd, &opts.Decode); err != nil {
				return err
			}
			return action(opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Points, "points", 8, "number of points on the line, endpoints included")
	run.Renamed(f, "steps", "points")
	clix.AddPosteriorFlags(f, &opts.Posterior)
	clix.AddDecodeFlags(f, &opts.Decode)
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.StringVar(&opts.Out, "out", "interpolation.png", "image models: PNG file for the row of images")
	return cmd
}

// Run interpolates as the options say (run.Interpolator).
func Run(opts *Options) error {
	if opts.Points < 2 {
		return fmt.Errorf("--points must be at least 2 (the two endpoints), got %d", opts.Points)
	}
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, "interpolate", opts.Stdout, opts.JSON,
		func(in run.Interpolator, hp run.Config) (run.Report, error) {
			return in.Interpolate(run.InterpolateRequest{First: opts.First, Second: opts.Second, Points: opts.Points,
				Post: opts.Posterior.Resolve(hp), Decode: opts.Decode, Out: opts.Out, UI: run.UI{Stderr: opts.Stderr}})
		})
}
