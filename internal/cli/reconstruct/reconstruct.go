// Package reconstruct is `lebm reconstruct`: infer z for each input sentence with the posterior chains
// and decode it.
package reconstruct

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/cli/clix"
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

	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconstruct CHECKPOINT [FILE|-]",
		Short: "Reconstruct sentences: z inferred by the posterior chains, decoded",
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
			return run(opts)
		},
	}
	f := cmd.Flags()
	clix.AddPosteriorFlags(f, &opts.Posterior)
	clix.AddDecodeFlags(f, &opts.Decode)
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Pair is an input sentence (as the model sees it) and its reconstruction.
type Pair struct {
	Input          string    `json:"input"`
	Reconstruction string    `json:"reconstruction"`
	Z              []float64 `json:"z"`
}

// Reconstruct infers z for each sentence and decodes it.
func Reconstruct(m *text.Model, sents [][]string, post clix.PosteriorFlags, dec text.DecodeOptions) ([]Pair, error) {
	ds, err := corpora.NewDataset(sents, m.Vocab, m.Config.MaxLen)
	if err != nil {
		return nil, err
	}
	mu, err := m.InferMeans(ds, post.EvalConfig(m.Config))
	if err != nil {
		return nil, err
	}
	z := make([]float32, len(mu))
	for i, v := range mu {
		z[i] = float32(v)
	}
	out, err := m.Decode(z, len(sents), dec, nil)
	if err != nil {
		return nil, err
	}
	d := m.Config.ZDim
	pairs := make([]Pair, len(sents))
	for i := range sents {
		pairs[i] = Pair{Input: strings.Join(m.Vocab.Decode(ds.Examples[i]), " "),
			Reconstruction: strings.Join(m.Vocab.Decode(out[i]), " "), Z: mu[i*d : (i+1)*d]}
	}
	return pairs, nil
}

// Run reconstructs as the options say.
func Run(opts *Options) error {
	var sents [][]string
	var err error
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
	m, _, _, err := clix.LoadModel(opts.Backend, opts.Checkpoint)
	if err != nil {
		return err
	}
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
