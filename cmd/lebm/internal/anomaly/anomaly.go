// Package anomaly is `lebm anomaly`: the paper's MNIST anomaly-detection protocol on an image model
// trained without one class.
package anomaly

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/image"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm anomaly`.
type Options struct {
	Checkpoint string
	Data       string // data path (default: the checkpoint's)
	Class      int    // anomalous class (default: the class held out in training)
	Images     int    // score the first N test images (0 = all)
	Posterior  clix.PosteriorFlags
	Backend    string
	JSON       bool
	Quiet      bool
	Changed    map[string]bool

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anomaly CHECKPOINT",
		Short: "Anomaly detection (the paper's MNIST protocol): AUPRC of a class held out in training",
		Long: `Score every test image by the negative unnormalised log joint -log p(x, z) at posterior samples
(the paper's score: ||x - g(z)||^2 / (2 sigma^2) - f_alpha(z) + ||z||^2/2, averaged over --chains
posterior Langevin chains) and report the area under the precision-recall curve (average precision)
of the anomalous class against the rest.

The protocol: train on MNIST without one digit (lebm train --family image --preset mnist --data DIR
--hold-out D), then run lebm anomaly on that run. The anomalous class is the held-out one unless --class
says otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			opts.Changed = clix.ChangedFlags(cmd)
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "data path (default: the one recorded in the checkpoint)")
	f.IntVar(&opts.Class, "class", -1, "anomalous class (default: the class held out in training)")
	f.IntVar(&opts.Images, "images", 0, "score the first N test images (0 = all)")
	clix.AddPosteriorFlags(f, &opts.Posterior)
	f.Lookup("chains").DefValue, opts.Posterior.Chains = "4", 4
	f.Lookup("chains").Usage = "posterior chains per image; the score is averaged over them"
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	return cmd
}

// Run scores the test set as the options say.
func Run(opts *Options) error {
	if opts.Posterior.Chains < 1 {
		return fmt.Errorf("--chains must be at least 1, got %d", opts.Posterior.Chains)
	}
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	run, err := clix.OpenRun(opts.Backend, opts.Checkpoint)
	if err != nil {
		return err
	}
	if run.Image == nil {
		return fmt.Errorf("%s: anomaly detection needs an image checkpoint (lebm train --family image), this one holds a %s model", opts.Checkpoint, run.Family)
	}
	m, info, dir := run.Image, run.ImageInfo, run.Dir
	class := m.Config.HoldOut
	if opts.Changed["class"] {
		class = opts.Class
	}
	if class < 0 {
		return fmt.Errorf("%s was trained on every class: give the anomalous class with --class, or train with --hold-out", dir)
	}
	data, err := clix.LoadImageSplits(info, opts.Data, opts.Stderr, opts.Quiet)
	if err != nil {
		return err
	}
	if !opts.Quiet && data.Note != "" {
		fmt.Fprintln(opts.Stderr, "note:", data.Note)
	}
	ec := opts.Posterior.ImageEvalConfig(m.Config)
	ec.Images = opts.Images
	bar := clix.NewBar(opts.Stderr, 1, "anomaly scores", "images", opts.Quiet)
	res, err := m.Anomaly(data.Test, class, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return err
	}
	if class != m.Config.HoldOut && !opts.Quiet {
		fmt.Fprintf(opts.Stderr, "warning: class %d was not held out in training (held out: %d): the model has seen it\n", class, m.Config.HoldOut)
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, struct {
			Checkpoint string `json:"checkpoint"`
			*image.AnomalyResult
		}{dir, res})
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\n%s", dir, res.Format())
	return nil
}
