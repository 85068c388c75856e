package sample

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm sample`.
type Options struct {
	Checkpoint string
	N          int
	K0         clix.ModelDefault[int]     // prior chain steps (not given: the model's K0)
	S0         clix.ModelDefault[float64] // prior chain step size (not given: the model's s0)
	Seed       uint64
	Decode     run.Decoding
	Backend    string
	JSON       bool
	Out        string // image models: the PNG grid to write
	Cols       int    // image models: grid columns

	Families *run.Registry // nil: families.Standard()

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample CHECKPOINT",
		Short: "Sample sentences (or images): z from the learned prior (prior Langevin chain), decoded",
		Long: `Draw z from the learned prior p_alpha(z) by the prior short-run Langevin chain from N(0, I)
(K0 steps of size s0: the model's unless --k0/--s0 say otherwise; exact N(0, I) draws for a gaussian
prior) and decode each z into a sentence, greedily, by sampling at a temperature, or by beam search.
The output is deterministic given --seed.

For an image model, the images g(z) are written as a PNG grid (--out, --cols).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			if err := clix.CheckDecodeFlags(cmd, &opts.Decode); err != nil {
				return err
			}
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.N, "n", "n", 10, "number of sentences")
	clix.AddModelDefault(f, &opts.K0, "k0", "prior chain steps (default: the model's K0)")
	clix.AddModelDefault(f, &opts.S0, "s0", "prior chain step size (default: the model's s0)")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed (prior chain and sampling)")
	clix.AddDecodeFlags(f, &opts.Decode)
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.StringVar(&opts.Out, "out", "samples.png", "image models: PNG file for the grid of samples")
	f.IntVar(&opts.Cols, "cols", 8, "image models: columns of the grid (at most the number of images)")
	return cmd
}

// Run samples as the options say (run.Sampler).
func Run(opts *Options) error {
	if opts.N < 1 {
		return fmt.Errorf("-n must be at least 1, got %d", opts.N)
	}
	if err := opts.K0.Check("k0"); err != nil {
		return err
	}
	if err := opts.S0.Check("s0"); err != nil {
		return err
	}
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, "be sampled", opts.Stdout, opts.JSON,
		func(s run.Sampler, hp run.Config) (run.Report, error) {
			cfg := hp.Learn()
			return s.Sample(run.SampleRequest{N: opts.N, K0: opts.K0.Or(cfg.K0), S0: opts.S0.Or(cfg.S0), Seed: opts.Seed, Decode: opts.Decode,
				Grid: run.Grid{Out: opts.Out, Cols: opts.Cols}, UI: run.UI{Stderr: opts.Stderr, Bars: clix.Bars(opts.Stderr, false)}})
		})
}
