package image

import (
	"fmt"
	"strings"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// EvalReport is what `lebm eval` reports for an image model.
type EvalReport struct {
	Checkpoint string            `json:"checkpoint"`
	Recon      *ReconResult      `json:"reconstruction"`
	Likelihood *LikelihoodResult `json:"log_likelihood"`
	Fit        *SampleFit        `json:"sample_fit"`
	FID        *FIDResult        `json:"fid,omitempty"`
}

func (e *EvalReport) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint: %s\n%s%s%s", e.Checkpoint, e.Recon.Format(), e.Likelihood.Format(), e.Fit.Format())
	if e.FID != nil {
		b.WriteString(e.FID.Format())
	}
	return b.String()
}

// split is the split of data that name names (flag: the option that named it, for the error).
func split(data *corpora.ImageSplits, name, flag string) (*corpora.Images, error) {
	switch name {
	case "test":
		return data.Test, nil
	case "train":
		return data.Train, nil
	}
	return nil, fmt.Errorf("%s for an image model must be test or train, got %q", flag, name)
}

// Evaluate reports the reconstruction MSE of a split from the posterior mean of req.Chains chains, its
// importance-sampled log-likelihood, how well samples fit its statistics, and with req.Inception the FID
// of model samples against reference images (the FID's inputs are checked before the long evaluations).
func (r *Run) Evaluate(req run.EvalRequest) (run.Report, error) {
	m := r.Model
	if err := m.chainMemory(req.Estimator).Check(); err != nil {
		return nil, err
	}
	data, err := LoadSplitsUI(r.Info, req.Data, req.UI)
	if err != nil {
		return nil, err
	}
	set, err := split(data, req.Split, "--split")
	if err != nil {
		return nil, err
	}
	reference := req.FIDReference
	if reference == "" {
		reference = req.Split
	}
	var ref *corpora.Images
	var inc *Inception
	if req.Inception != "" {
		if ref, err = split(data, reference, "--fid-reference"); err != nil {
			return nil, err
		}
		if inc, err = NewInception(m.Backend, req.Inception); err != nil {
			return nil, err
		}
	}
	ec := DefaultEvalConfig(m.Config)
	ec.Images, ec.Chains, ec.Seed, ec.K1, ec.S1 = req.Images, req.Chains, req.Seed, req.K1, req.S1
	req.Note(fmt.Sprintf("%s\ncheckpoint: %s", m, r.Dir))
	if data.Note != "" {
		req.Note("note: " + data.Note)
	}
	bar := req.Bar(1, "eval "+req.Split, "images")
	res, err := m.Reconstruct(set, data.Train, req.Split, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	lc := DefaultLikelihoodConfig(m.Config)
	lc.Images, lc.K1, lc.S1, lc.Seed = ec.Images, ec.K1, ec.S1, req.Seed
	for _, o := range []struct {
		dst *int
		v   int
	}{{&lc.Chains, req.Chains}, {&lc.ImportanceSamples, req.ImportanceSamples}, {&lc.LogZSamples, req.LogZSamples}} {
		if o.v > 0 { // 0: not given (the flags' defaults are positive)
			*o.dst = o.v
		}
	}
	if req.SigmaFloor > 0 {
		lc.SigmaFloor = req.SigmaFloor
	}
	lbar := req.Bar(1, "log p(x) "+req.Split, "chains")
	lik, err := m.LogLikelihood(set, req.Split, lc, lbar.Progress)
	lbar.Finish()
	if err != nil {
		return nil, err
	}
	fit, err := m.FitSamples(set, ec)
	if err != nil {
		return nil, err
	}
	out := &EvalReport{Checkpoint: r.Dir, Recon: res, Likelihood: lik, Fit: fit}
	if inc != nil {
		fc := FIDConfig{Samples: req.FIDSamples, RealImages: req.FIDReal, Reference: reference, Seed: req.Seed}
		fbar := req.Bar(1, "FID features", "images")
		out.FID, err = m.FID(inc, ref, fc, fbar.Progress)
		fbar.Finish()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// curves are the pictures of a training log.
func curves(recs []IterStats) []run.Curve {
	var mse, prior, fPost, fPrior plots.Series
	mse.Name, prior.Name, fPost.Name, fPrior.Name = "reconstruction MSE per pixel ([-1, 1])", "prior loss", "f on posterior samples", "f on prior samples"
	for _, rec := range recs {
		x := float64(rec.Step)
		mse.Add(x, &rec.MSE)
		prior.Add(x, &rec.PriorLoss)
		fPost.Add(x, &rec.FPost)
		fPrior.Add(x, &rec.FPrior)
	}
	return run.TrainingCurves(mse, prior, fPost, fPrior, "MSE / nats")
}

// Plot gives an image run's pictures: losses.png (reconstruction MSE and prior loss), energies.png, and
// the posterior means of the first req.Items test images, coloured by class when the data has classes.
func (r *Run) Plot(req run.PlotRequest) (*run.Pictures, error) {
	pics := &run.Pictures{}
	if r.Info.Imported != "" {
		req.Warn(fmt.Sprintf("%s was imported (lebm import): it has no training log, so only the posterior means are drawn", r.Dir))
	} else {
		recs, err := run.ReadJSONLines[IterStats](req.LogPath)
		if err != nil {
			return nil, err
		}
		pics.Curves = curves(recs)
	}
	m := r.Model
	data, err := LoadSplitsUI(r.Info, "", req.UI)
	if err != nil {
		return nil, err
	}
	n := min(req.Items, data.Test.N())
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	z, err := m.PosteriorMeans(data.Test.FloatRange(0, n), n, ec, ec.Rand())
	if err != nil {
		return nil, err
	}
	pics.Latent = &run.Latent{Title: fmt.Sprintf("posterior means of %d test images (PCA)", n), X: learn.Rows(z, n, m.Config.ZDim),
		Class: "class", Items: "images"}
	if data.Test.Labels[0] >= 0 {
		pics.Latent.Labels, pics.Latent.Names = data.Test.Labels[:n], r.labelNames()
	}
	return pics, nil
}
