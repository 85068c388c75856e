// Package reconstruct is `lebm reconstruct`: infer z for each input sentence with the posterior chains
// and decode it.
package reconstruct

import (
	"fmt"
	"github.com/lebm/lebm/image"
	"io"
	"os"
	"strings"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm reconstruct`.
type Options struct {
	Checkpoint string
	Input      string // file, or "-" for standard input
	Posterior  clix.PosteriorFlags
	Decode     text.DecodeOptions
	Backend    string
	JSON       bool
	Images     int    // image models: how many test images
	Out        string // image models: the PNG grid to write
	Cols       int    // image models: images per row

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
	f.IntVar(&opts.Cols, "cols", 8, "image models: images per row")
	return cmd
}

// Pair is an input sentence (as the model sees it) and its reconstruction.
type Pair struct {
	Input          string    `json:"input"`
	Reconstruction string    `json:"reconstruction"`
	Z              []float32 `json:"z"`
}

// Reconstruct infers z for each sentence and decodes it.
func Reconstruct(m *text.Model, sents [][]string, post clix.PosteriorFlags, dec text.DecodeOptions) ([]Pair, error) {
	ds, err := corpora.NewDataset(sents, m.Vocab, m.Config.MaxLen)
	if err != nil {
		return nil, err
	}
	z, err := m.PosteriorMeans(ds, post.EvalConfig(m.Config))
	if err != nil {
		return nil, err
	}
	out, err := m.Decode(z, len(sents), dec, nil)
	if err != nil {
		return nil, err
	}
	d := m.Config.ZDim
	pairs := make([]Pair, len(sents))
	for i := range sents {
		pairs[i] = Pair{Input: strings.Join(m.Vocab.Decode(ds.Examples[i]), " "),
			Reconstruction: strings.Join(m.Vocab.Decode(out[i]), " "), Z: z[i*d : (i+1)*d]}
	}
	return pairs, nil
}

// Run reconstructs as the options say.
func Run(opts *Options) error {
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	run, err := clix.OpenRun(opts.Backend, opts.Checkpoint)
	if err != nil {
		return err
	}
	if run.Image != nil {
		return runImage(opts, run)
	}
	var sents [][]string
	if opts.Input == "-" {
		sents, err = corpora.Read(opts.Stdin, "standard input", 0)
	} else {
		var f *os.File
		if f, err = os.Open(opts.Input); err != nil {
			return fmt.Errorf("reconstruct: %w", err)
		}
		defer f.Close()
		sents, err = corpora.Read(f, opts.Input, 0)
	}
	if err != nil {
		return err
	}
	if opts.Decode.Method == text.Sample {
		return fmt.Errorf("reconstruct decodes greedily or by beam search, not by sampling")
	}
	m := run.Text
	pairs, err := Reconstruct(m, sents, opts.Posterior, opts.Decode)
	if err != nil {
		return err
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, pairs)
	}
	for _, p := range pairs {
		fmt.Fprintf(opts.Stdout, "%s\t%s\n", p.Input, p.Reconstruction)
	}
	return nil
}

// ImageResult is what `lebm reconstruct --json` prints for an image model.
type ImageResult struct {
	File   string  `json:"file"`
	Images int     `json:"images"`
	Chains int     `json:"chains"`
	K1     int     `json:"k1"`
	S1     float64 `json:"s1"`
	MSE    float64 `json:"mse"` // per pixel, [-1, 1] scale, of the images shown
}

func runImage(opts *Options, run *run.Run) error {
	if opts.Images < 1 || opts.Cols < 1 {
		return fmt.Errorf("--images and --cols must be at least 1, got %d and %d", opts.Images, opts.Cols)
	}
	m, info := run.Image, run.ImageInfo
	override := ""
	if opts.Input != "-" {
		override = opts.Input
	}
	data, err := clix.LoadImageSplits(info, override, opts.Stderr, false)
	if err != nil {
		return err
	}
	n := min(opts.Images, data.Test.N())
	x := data.Test.FloatRange(0, n)
	ec := opts.Posterior.ImageEvalConfig(m.Config)
	z, err := m.PosteriorMeans(x, n, ec, ec.Rand())
	if err != nil {
		return err
	}
	g, err := m.Generate(z, n)
	if err != nil {
		return err
	}
	var sse float64
	for i := range x {
		sse += float64((x[i] - g[i]) * (x[i] - g[i]))
	}
	// Interleave: a row of originals, then the row of their reconstructions.
	P := m.Config.Pixels()
	var grid []float32
	rows := 0
	for start := 0; start < n; start += opts.Cols {
		end := min(start+opts.Cols, n)
		for _, src := range [][]float32{x, g} {
			grid = append(grid, src[start*P:end*P]...)
			grid = append(grid, blank(P*(opts.Cols-(end-start)))...)
			rows++
		}
	}
	if err := image.WriteGrid(opts.Out, grid, rows*opts.Cols, opts.Cols, m.Config); err != nil {
		return err
	}
	res := ImageResult{File: opts.Out, Images: n, Chains: ec.Chains, K1: ec.K1, S1: ec.S1, MSE: sse / float64(len(x))}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, res)
	}
	fmt.Fprintf(opts.Stdout, "%d test images and their reconstructions (posterior mean of %d chains of %d Langevin steps, s = %g; MSE %.5f per pixel on [-1, 1]) written to %s\n",
		n, ec.Chains, ec.K1, ec.S1, res.MSE, opts.Out)
	return nil
}

// blank is n pixel values of mid-grey (0 in [-1, 1]) to fill a short last row.
func blank(n int) []float32 { return make([]float32, n) }
