// Package interpolate is `lebm interpolate`: decode along the straight line between the inferred codes
// of two sentences.
package interpolate

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm interpolate`.
type Options struct {
	Checkpoint    string
	First, Second string
	Steps         int
	Posterior     clix.PosteriorFlags
	Decode        text.DecodeOptions
	Backend       string
	JSON          bool
	Out           string // image models: the PNG to write

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "interpolate CHECKPOINT \"first sentence\" \"second sentence\"",
		Short: "Decode along the line between the inferred codes of two sentences (or two test images)",
		Long: `Infer z1 and z2 for two sentences (means of --chains posterior chains, as reconstruct does) and
decode z = (1 - a) z1 + a z2 for --steps values of a from 0 to 1.

For an image model the two endpoints are indices of test images; the originals and the generated row
between them are written as a PNG (--out).`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint, opts.First, opts.Second = args[0], args[1], args[2]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			if err := clix.CheckDecodeFlags(cmd, &opts.Decode); err != nil {
				return err
			}
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Steps, "steps", 8, "number of points on the line, endpoints included")
	clix.AddPosteriorFlags(f, &opts.Posterior)
	clix.AddDecodeFlags(f, &opts.Decode)
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	f.StringVar(&opts.Out, "out", "interpolation.png", "image models: PNG file for the row of images")
	return cmd
}

// Point is one decoded point of the line.
type Point struct {
	Alpha float64 `json:"alpha"`
	Text  string  `json:"text"`
}

// Run interpolates as the options say.
func Run(opts *Options) error {
	if opts.Steps < 2 {
		return fmt.Errorf("--steps must be at least 2 (the two endpoints), got %d", opts.Steps)
	}
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
	for i, s := range []string{opts.First, opts.Second} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("interpolate: sentence %d is not valid UTF-8 (at byte %d): give the sentences in UTF-8", i+1, corpora.FirstInvalidUTF8([]byte(s)))
		}
		words := strings.Fields(s)
		if len(words) == 0 {
			return fmt.Errorf("interpolate: empty sentence")
		}
		sents = append(sents, words)
	}
	if opts.Decode.Method == text.Sample {
		return fmt.Errorf("interpolate decodes greedily or by beam search, not by sampling")
	}
	m := run.Text
	ds, err := corpora.NewDataset(sents, m.Vocab, m.Config.MaxLen)
	if err != nil {
		return err
	}
	mu, err := m.PosteriorMeans(ds, opts.Posterior.EvalConfig(m.Config))
	if err != nil {
		return err
	}
	d := m.Config.ZDim
	z, alphas := learn.Line(mu[:d], mu[d:], opts.Steps)
	out, err := m.Decode(z, opts.Steps, opts.Decode, nil)
	if err != nil {
		return err
	}
	points := make([]Point, opts.Steps)
	for k := range points {
		points[k] = Point{Alpha: alphas[k], Text: strings.Join(m.Vocab.Decode(out[k]), " ")}
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, points)
	}
	for _, p := range points {
		fmt.Fprintf(opts.Stdout, "%.3f\t%s\n", p.Alpha, p.Text)
	}
	return nil
}
