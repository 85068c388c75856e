package evalcmd

import (
	"fmt"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/run"
	"github.com/spf13/pflag"
)

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

// ImageEval is what `lebm eval --json` prints for an image model.
type ImageEval struct {
	Checkpoint string                  `json:"checkpoint"`
	Recon      *image.ReconResult      `json:"reconstruction"`
	Likelihood *image.LikelihoodResult `json:"log_likelihood"`
	Fit        *image.SampleFit        `json:"sample_fit"`
	FID        *image.FIDResult        `json:"fid,omitempty"`
}

func runImage(opts *Options, run *run.Run) error {
	m, info, dir := run.Image, run.ImageInfo, run.Dir
	data, err := clix.LoadImageSplits(info, opts.Data, opts.Stderr, opts.Quiet)
	if err != nil {
		return err
	}
	set, err := imageSplit(data, opts.Split, "--split")
	if err != nil {
		return err
	}
	var ref *corpora.Images // FID's reference images and network, checked before the long evaluations
	var inc *image.Inception
	if opts.Image.Inception != "" {
		if ref, err = imageSplit(data, opts.fidReference(), "--fid-reference"); err != nil {
			return err
		}
		if inc, err = image.NewInception(m.Backend, opts.Image.Inception); err != nil {
			return err
		}
	}
	ec := image.DefaultEvalConfig(m.Config)
	ec.Images, ec.Chains, ec.Seed = opts.Image.Images, opts.Eval.Chains, opts.Eval.Seed
	opts.Apply(&ec.Estimator)
	if !opts.Quiet {
		fmt.Fprintf(opts.Stderr, "%s\ncheckpoint: %s\n", m, dir)
		if data.Note != "" {
			fmt.Fprintln(opts.Stderr, "note:", data.Note)
		}
	}
	bar := clix.NewBar(opts.Stderr, 1, "eval "+opts.Split, "images", opts.Quiet)
	res, err := m.Reconstruct(set, data.Train, opts.Split, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return err
	}
	lc := image.DefaultLikelihoodConfig(m.Config)
	lc.Images, lc.K1, lc.S1, lc.Seed = ec.Images, ec.K1, ec.S1, opts.Eval.Seed
	for _, o := range []struct {
		dst *int
		v   int
	}{{&lc.Chains, opts.Eval.Chains}, {&lc.ImportanceSamples, opts.Eval.ImportanceSamples}, {&lc.LogZSamples, opts.Eval.LogZSamples}} {
		if o.v > 0 { // 0: the option was not given (the flags' defaults are positive)
			*o.dst = o.v
		}
	}
	if opts.Eval.SigmaFloor > 0 {
		lc.SigmaFloor = opts.Eval.SigmaFloor
	}
	lbar := clix.NewBar(opts.Stderr, 1, "log p(x) "+opts.Split, "chains", opts.Quiet)
	lik, err := m.LogLikelihood(set, opts.Split, lc, lbar.Progress)
	lbar.Finish()
	if err != nil {
		return err
	}
	fit, err := m.FitSamples(set, ec)
	if err != nil {
		return err
	}
	out := ImageEval{Checkpoint: dir, Recon: res, Likelihood: lik, Fit: fit}
	if opts.Image.Inception != "" {
		if out.FID, err = fid(opts, m, inc, ref); err != nil {
			return err
		}
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, out)
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\n%s%s%s", dir, res.Format(), lik.Format(), fit.Format())
	if out.FID != nil {
		fmt.Fprint(opts.Stdout, out.FID.Format())
	}
	return nil
}

// imageSplit is the split of data that name names (flag: the option that named it, for the error).
func imageSplit(data *corpora.ImageSplits, name, flag string) (*corpora.Images, error) {
	switch name {
	case "test":
		return data.Test, nil
	case "train":
		return data.Train, nil
	}
	return nil, fmt.Errorf("%s for an image model must be test or train, got %q", flag, name)
}

// fidReference is the split of FID's reference images: --fid-reference, by default the evaluated split.
func (o *Options) fidReference() string {
	if o.Image.FIDReference != "" {
		return o.Image.FIDReference
	}
	return o.Split
}

// fid computes the Fréchet Inception distance between model samples and the reference images ref.
func fid(opts *Options, m *image.Model, inc *image.Inception, ref *corpora.Images) (*image.FIDResult, error) {
	fc := image.FIDConfig{Samples: opts.Image.FIDSamples, RealImages: opts.Image.FIDReal, Reference: opts.fidReference(), Seed: opts.Eval.Seed}
	bar := clix.NewBar(opts.Stderr, 1, "FID features", "images", opts.Quiet)
	res, err := m.FID(inc, ref, fc, bar.Progress)
	bar.Finish()
	return res, err
}
