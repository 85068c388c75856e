package evalcmd

import (
	"fmt"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/internal/cli/clix"
	"github.com/lebm/lebm/internal/runs"
	"github.com/spf13/pflag"
)

// ImageOptions are the flags of `lebm eval` that only image models use.
type ImageOptions struct {
	Images     int    // reconstruct the first N images of the split (0 = all)
	Inception  string // folder with Inception-v3 weights (FID); "" = no FID
	FIDSamples int    // model samples and real images for FID
}

func addImageFlags(f *pflag.FlagSet, o *ImageOptions) {
	f.IntVar(&o.Images, "images", 0, "image models: reconstruct the first N images of the split (0 = all)")
	f.StringVar(&o.Inception, "inception", "", "image models: folder holding Inception-v3 weights for FID (weights.h5 from "+
		"https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5; "+
		"unpacked once with h5dump, Debian package hdf5-tools)")
	f.IntVar(&o.FIDSamples, "fid-samples", 5000, "image models: model samples (and as many real images of the split, at most all) for FID")
}

// ImageEval is what `lebm eval --json` prints for an image model.
type ImageEval struct {
	Checkpoint string                  `json:"checkpoint"`
	Recon      *image.ReconResult      `json:"reconstruction"`
	Likelihood *image.LikelihoodResult `json:"log_likelihood"`
	Fit        *image.SampleFit        `json:"sample_fit"`
	FID        *FID                    `json:"fid,omitempty"`
}

// FID is a Fréchet Inception distance with how it was estimated.
type FID struct {
	Value      float64 `json:"value"`
	Samples    int     `json:"samples"`     // model samples (prior chain, K0 steps)
	RealImages int     `json:"real_images"` // images of the split
	Split      string  `json:"split"`
	Features   string  `json:"features"`
	ImageSize  int     `json:"image_size"`
	PriorSteps int     `json:"prior_steps"`
}

func runImage(opts *Options, run *runs.Run) error {
	m, info, dir := run.Image, run.ImageInfo, run.Dir
	data, err := clix.LoadImageSplits(info, opts.Data, opts.Stderr, opts.Quiet)
	if err != nil {
		return err
	}
	var set *corpora.Images
	switch opts.Split {
	case "test":
		set = data.Test
	case "train":
		set = data.Train
	default:
		return fmt.Errorf("--split for an image model must be test or train, got %q", opts.Split)
	}
	ec := image.DefaultEvalConfig(m.Config)
	ec.Images, ec.Chains, ec.Seed = opts.Image.Images, opts.Eval.Chains, opts.Eval.Seed
	if opts.Changed["k1"] || opts.Changed["steps"] {
		ec.K1 = opts.Eval.K1
	}
	if opts.Changed["s1"] || opts.Changed["step-size"] {
		ec.S1 = opts.Eval.S1
	}
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
		if out.FID, err = fid(opts, m, set); err != nil {
			return err
		}
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, out)
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\n%s%s%s", dir, res.Format(), lik.Format(), fit.Format())
	if f := out.FID; f != nil {
		fmt.Fprintf(opts.Stdout, "FID %.2f: %d model samples (prior chain, %d steps) against %d %s images, %s, %dx%d bilinear\n",
			f.Value, f.Samples, f.PriorSteps, f.RealImages, f.Split, f.Features, f.ImageSize, f.ImageSize)
	}
	return nil
}

// fid computes the Fréchet Inception distance between model samples and the split's images.
func fid(opts *Options, m *image.Model, set *corpora.Images) (*FID, error) {
	inc, err := image.NewInception(m.Backend, opts.Image.Inception)
	if err != nil {
		return nil, err
	}
	n := opts.Image.FIDSamples
	if n < 2 {
		return nil, fmt.Errorf("--fid-samples must be at least 2, got %d", n)
	}
	realN := min(n, set.N())
	c := m.Config
	const chunk = 50
	bar := clix.NewBar(opts.Stderr, n+realN, "FID features", "images", opts.Quiet)
	var fake, real [][]float64
	rng := rand.New(rand.NewPCG(opts.Eval.Seed, 0xf1d))
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		x, _, err := m.Samples(k, rng)
		if err != nil {
			return nil, err
		}
		f, err := inc.Features(x, k, c.Height, c.Width, c.Channels)
		if err != nil {
			return nil, err
		}
		fake = append(fake, f...)
		bar.Set(done + k)
	}
	for done := 0; done < realN; done += chunk {
		k := min(chunk, realN-done)
		f, err := inc.Features(set.FloatRange(done, done+k), k, c.Height, c.Width, c.Channels)
		if err != nil {
			return nil, err
		}
		real = append(real, f...)
		bar.Set(n + done + k)
	}
	bar.Finish()
	gf, err := image.FitGaussian(fake)
	if err != nil {
		return nil, err
	}
	gr, err := image.FitGaussian(real)
	if err != nil {
		return nil, err
	}
	v, err := image.FrechetDistance(gf, gr)
	if err != nil {
		return nil, err
	}
	return &FID{Value: v, Samples: n, RealImages: realN, Split: opts.Split, Features: "Keras Inception-v3 pool features (2048)",
		ImageSize: image.InceptionSize, PriorSteps: c.K0}, nil
}
