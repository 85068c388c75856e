package anomaly

import (
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm anomaly`.
type Options struct {
	Checkpoint string
	Data       string                 // data path (default: the checkpoint's)
	Class      clix.ModelDefault[int] // anomalous class (not given: the class the model held out in training)
	Images     int                    // score the first N test images (0 = all)
	Posterior  clix.PosteriorFlags
	Backend    string
	JSON       bool
	Quiet      bool

	Families *run.Registry // nil: families.Standard()

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
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "data path (default: the one recorded in the checkpoint)")
	opts.setRanges()
	clix.AddModelDefault(f, &opts.Class, "class", "anomalous class (default: the class the model held out in training)")
	f.IntVar(&opts.Images, "images", 0, "score the first N test images (0 = all)")
	clix.AddPosteriorFlags(f, &opts.Posterior)
	f.Lookup("chains").DefValue, opts.Posterior.Chains = "4", 4
	f.Lookup("chains").Usage = "posterior chains per image; the score is averaged over them"
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	return cmd
}

// setRanges sets the range of --class, for the flag and for options built by code alike.
func (o *Options) setRanges() { o.Class.Min, o.Class.What = 0, "a class label" }

// Run scores the test set as the options say.
func Run(opts *Options) error {
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	if opts.Images < 0 {
		return fmt.Errorf("--images must be 0 (all) or more, got %d", opts.Images)
	}
	opts.setRanges()
	if err := opts.Class.Check("class"); err != nil {
		return err
	}
	what := "score anomalies (the protocol needs an image checkpoint: lebm train --family image)"
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, what, opts.Stdout, opts.JSON,
		func(a run.AnomalyScorer, hp run.Config) (run.Report, error) {
			return a.Anomaly(run.AnomalyRequest{Data: opts.Data, Class: opts.Class.Value, ClassGiven: opts.Class.Given, Images: opts.Images,
				Post: opts.Posterior.Resolve(hp), UI: run.UI{Stderr: opts.Stderr, Quiet: opts.Quiet, Bars: clix.Bars(opts.Stderr, opts.Quiet)}})
		})
}
