package evalcmd

import (
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Estimators are the estimator settings of `lebm eval` (see run.EvalRequest).
type Estimators struct {
	learn.Estimator
	LogZSamples, MaxSentences, MaxLen int
	Seed                              uint64
}

// Options are the flags of `lebm eval`.
type Options struct {
	Checkpoint string
	Split      string
	Data       string // corpus directory; default: the one the model was trained on
	Backend    string
	JSON       bool

	Eval                Estimators // estimator settings; K1 and S1 come from the two below
	clix.PosteriorChain            // the evaluation chains' --k1 and --s1 (not given: the model's)

	Generation   bool                   // also compute the generation metrics
	Gen          run.GenerationRequest  // their settings; LMIterations from the flag below
	LMIterations clix.ModelDefault[int] // iterations of the LMs trained for the PPLs (not given: the model's)
	Quiet        bool
	SentenceNLL  string // file for -log p(x) of each evaluated sentence, one per line (paired comparisons)
	Image        ImageOptions

	Families *run.Registry // nil: families.Standard()

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, runF func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT",
		Short: "Evaluate a model: text NLL, PPL, MI, AU; image reconstruction MSE and FID; with their estimator settings",
		Long: `Evaluate a checkpoint (a run directory or one of its step-N directories) on a split of the corpus it
was trained on. The checkpoint holds the hyperparameters and the vocabulary: no architecture flags.

NLL is importance-sampled from a diagonal Gaussian q(z|x) fitted to P posterior Langevin chains per
sentence; log Z of the EBM prior is estimated from samples of N(0, I). MI uses the mixture estimator;
AU is reported raw and corrected for the Monte Carlo noise of the chain means; MI, MI_He and AU are also
reported on the same chains dealt to the sentences at random, which carry no information about x (their
floor: values a model that ignores x would get). The verdict on the latent weighs every measure against
its floor beyond its standard error, with the gap NLL - recon and the share of the input's words the
reconstructions hold. --split valid is for choosing between models; the test split is for reporting the
chosen one, once.

For an image model: reconstruction MSE of the split from the posterior mean of --chains chains (against
the training set's mean image), and FID with --inception (model samples against the split's images).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return runF(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Split, "split", "test", "split to evaluate: valid or test (or train)")
	f.StringVar(&opts.Data, "data", "", "corpus directory (default: the one recorded in the checkpoint)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	f.StringVar(&opts.SentenceNLL, "sentence-nll", "", "write -log p(x) of each evaluated sentence to this file, one per line (for paired comparisons of two models)")
	f.IntVar(&opts.Eval.Chains, "chains", learn.DefaultEvalChains, "P: posterior chains per sentence")
	clix.AddChainFlags(f, &opts.PosteriorChain, "steps", "step-size")
	f.IntVar(&opts.Eval.ImportanceSamples, "samples", learn.DefaultEvalSamples, "S: importance samples of q(z|x) per sentence")
	f.IntVar(&opts.Eval.LogZSamples, "logz-samples", learn.DefaultLogZSamples, "M_Z: samples of N(0, I) for log Z")
	f.Float64Var(&opts.Eval.SigmaFloor, "sigma-floor", learn.DefaultSigmaFloor, "lower bound on the standard deviations of q(z|x)")
	run.Refused(f, "floor-sentences", run.FloorWhy)
	f.IntVar(&opts.Eval.MaxSentences, "max-sentences", 0, "evaluate only the first N sentences (0 = all)")
	f.IntVar(&opts.Eval.MaxLen, "max-len", 0, "leave out sentences of more tokens with <bos> and <eos>, counted in the report (0 = score every sentence whole)")
	f.IntVar(&opts.Eval.RowsPerCall, "rows", learn.DefaultRowsPerCall, "most chain rows per graph call (a smaller evaluation takes fewer)")
	f.Uint64Var(&opts.Eval.Seed, "seed", 1, "random seed of the estimators")
	f.BoolVar(&opts.Generation, "generation", false, "also compute generation metrics: reverse and forward PPL, BLEU-4, word KL")
	f.IntVar(&opts.Gen.Samples, "gen-samples", 1000, "generation: number of sampled sentences")
	f.Float64Var(&opts.Gen.Temperature, "gen-temperature", 1, "generation: sampling temperature")
	opts.setRanges()
	clix.AddModelDefault(f, &opts.LMIterations, "lm-iterations", "generation: iterations of the language models trained for the PPLs (default: the model's)")
	f.StringVar(&opts.Gen.LM, "lm", "", "generation: LSTM LM checkpoint of the real data for forward PPL (default: train one)")
	addImageFlags(f, &opts.Image)
	return cmd
}

// request is the evaluation the options ask of a model of hyperparameters cfg.
func (o *Options) request(cfg run.Config) run.EvalRequest {
	req := run.EvalRequest{Split: o.Split, Data: o.Data, Estimator: o.Eval.Estimator, LogZSamples: o.Eval.LogZSamples, Seed: o.Eval.Seed,
		MaxSentences: o.Eval.MaxSentences, MaxLen: o.Eval.MaxLen, SentenceNLL: o.SentenceNLL,
		Images: o.Image.Images, Inception: o.Image.Inception, FIDSamples: o.Image.FIDSamples, FIDReal: o.Image.FIDReal,
		FIDReference: o.Image.FIDReference, UI: run.UI{Stderr: o.Stderr, Quiet: o.Quiet, Bars: clix.Bars(o.Stderr, o.Quiet)}}
	req.K1, req.S1 = cfg.Learn().K1, cfg.Learn().S1
	o.Apply(&req.Estimator)
	if o.Generation {
		g := o.Gen
		g.LMIterations = o.LMIterations.Or(0) // 0: the model's (run.GenerationRequest)
		req.Generation = &g
	}
	return req
}

// setRanges sets the range of --lm-iterations, for the flag and for options built by code alike.
func (o *Options) setRanges() { o.LMIterations.Min, o.LMIterations.What = 1, "a number of iterations" }

// Check refuses chain, estimator and generation settings out of range before anything is opened, naming
// the flag.
func (o *Options) Check() error {
	if err := o.PosteriorChain.Check(); err != nil {
		return err
	}
	e, g := o.Eval, o.Gen
	var v learn.Validation
	v.Require(e.Chains >= 1, "--chains must be at least 1, got %d", e.Chains)
	v.Require(e.ImportanceSamples >= 1, "--samples must be at least 1, got %d", e.ImportanceSamples)
	v.Require(e.LogZSamples >= 1, "--logz-samples must be at least 1, got %d", e.LogZSamples)
	v.Require(learn.PositiveFloat32(e.SigmaFloor), "--sigma-floor must be positive and finite in float32, got %v", e.SigmaFloor)
	v.Require(e.RowsPerCall >= 1, "--rows must be at least 1, got %d", e.RowsPerCall)
	v.Require(!o.Generation || g.Samples >= 1, "--gen-samples must be at least 1, got %d", g.Samples)
	v.Require(!o.Generation || run.ValidTemperature(g.Temperature), "--gen-temperature must be positive and finite in float32, as must be its inverse, got %v", g.Temperature)
	v.Require(o.Image.Images >= 0 && o.Image.FIDSamples >= 0 && o.Image.FIDReal >= 0,
		"--images, --fid-samples and --fid-real must be 0 or more, got %d, %d and %d", o.Image.Images, o.Image.FIDSamples, o.Image.FIDReal)
	if err := v.Err(""); err != nil {
		return err
	}
	o.setRanges()
	if err := o.LMIterations.Check("lm-iterations"); err != nil {
		return err
	}
	return learn.LogZMemory(e.LogZSamples, "--logz-samples").Check()
}

// Run evaluates as the options say (run.Evaluator).
func Run(opts *Options) error {
	if err := opts.Check(); err != nil {
		return err
	}
	return clix.Serve(opts.Families, opts.Backend, opts.Checkpoint, "be evaluated", opts.Stdout, opts.JSON,
		func(ev run.Evaluator, hp run.Config) (run.Report, error) { return ev.Evaluate(opts.request(hp)) })
}

// ImageOptions are the flags of `lebm eval` that only image models use.
type ImageOptions struct {
	Images       int    // reconstruct the first N images of the split (0 = all)
	Inception    string // folder with Inception-v3 weights (FID); "" = no FID
	FIDSamples   int    // model samples for FID
	FIDReal      int    // reference images (0: as many as samples, at most all)
	FIDReference string // the split of the reference images ("": the evaluated split)
}

func addImageFlags(f *pflag.FlagSet, o *ImageOptions) {
	f.IntVar(&o.Images, "images", 0, "image models: reconstruct the first N images of the split (0 = all)")
	f.StringVar(&o.Inception, "inception", "", "image models: folder holding Inception-v3 weights for FID (weights.h5 from "+
		"https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5; "+
		"unpacked once with h5dump, Debian package hdf5-tools)")
	f.IntVar(&o.FIDSamples, "fid-samples", 5000, "image models: model samples for FID (the authors' image code: 50000)")
	f.IntVar(&o.FIDReal, "fid-real", 0, "image models: reference images for FID, the first of the reference split (0 = as many as --fid-samples, at most all)")
	f.StringVar(&o.FIDReference, "fid-reference", "", "image models: split of FID's reference images, train or test (default: the evaluated --split; the authors' image code: train)")
}
