// Package sample is `lebm sample`: draw z from the learned prior with the prior short-run chain and
// decode sentences.
package sample

import (
	"fmt"
	"github.com/lebm/lebm/image"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm sample`.
type Options struct {
	Checkpoint string
	N          int
	K0         clix.ModelDefault[int]     // prior chain steps (not given: the model's K0)
	S0         clix.ModelDefault[float64] // prior chain step size (not given: the model's s0)
	Seed       uint64
	Decode     text.DecodeOptions
	Backend    string
	JSON       bool
	Out        string // image models: the PNG grid to write
	Cols       int    // image models: grid columns

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
	f.IntVar(&opts.Cols, "cols", 8, "image models: columns of the grid")
	return cmd
}

// Sample is one generated sentence.
type Sample struct {
	Text string    `json:"text"`
	Z    []float32 `json:"z"`
}

// Run samples as the options say.
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
	run, err := clix.OpenRun(opts.Backend, opts.Checkpoint)
	if err != nil {
		return err
	}
	if run.Image != nil {
		return runImage(opts, run)
	}
	m := run.Text
	k0, s0 := opts.K0.Or(m.Config.K0), opts.S0.Or(m.Config.S0)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5a3b))
	z, err := m.SamplePrior(opts.N, k0, s0, rng, -1)
	if err != nil {
		return err
	}
	sents, err := m.Decode(z, opts.N, opts.Decode, rng)
	if err != nil {
		return err
	}
	d := m.Config.ZDim
	out := make([]Sample, opts.N)
	for i, s := range sents {
		out[i] = Sample{Text: strings.Join(m.Vocab.Decode(s), " "), Z: z[i*d : (i+1)*d]}
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, struct {
			Prior   string             `json:"prior"`
			K0      int                `json:"k0"`
			S0      float64            `json:"s0"`
			Decode  text.DecodeOptions `json:"decode"`
			Samples []Sample           `json:"samples"`
		}{m.Config.Prior, k0, s0, opts.Decode, out})
	}
	for _, s := range out {
		fmt.Fprintln(opts.Stdout, s.Text)
	}
	return nil
}

// ImageSamples is what `lebm sample --json` prints for an image model.
type ImageSamples struct {
	File  string  `json:"file"`
	N     int     `json:"n"`
	Prior string  `json:"prior"`
	K0    int     `json:"k0"`
	S0    float64 `json:"s0"`
}

func runImage(opts *Options, run *run.Run) error {
	if opts.Cols < 1 {
		return fmt.Errorf("--cols must be at least 1, got %d", opts.Cols)
	}
	m := run.Image
	k0, s0 := opts.K0.Or(m.Config.K0), opts.S0.Or(m.Config.S0)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5a3b))
	z, err := m.SamplePrior(opts.N, k0, s0, rng, -1)
	if err != nil {
		return err
	}
	x, err := m.Generate(z, opts.N)
	if err != nil {
		return err
	}
	if err := image.WriteGrid(opts.Out, x, opts.N, opts.Cols, m.Config); err != nil {
		return err
	}
	res := ImageSamples{File: opts.Out, N: opts.N, Prior: m.Config.Prior, K0: k0, S0: s0}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, res)
	}
	fmt.Fprintf(opts.Stdout, "%d samples (prior %s: %s) written to %s\n", opts.N, res.Prior, m.Core.PriorSampler(k0, s0), opts.Out)
	return nil
}
