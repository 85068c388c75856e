package text

import (
	"fmt"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// logRecord is the union of the log's record kinds (iteration statistics and collapse diagnoses, see
// Diagnosis; diagnoses of older runs hold only the NLL and MI).
type logRecord struct {
	IterStats
	ValidNLL *float64 `json:"valid_nll"`
	ValidMI  *float64 `json:"valid_mi"`
	MIFloor  *float64 `json:"valid_mi_floor"`
	Gap      *float64 `json:"valid_gap"`
	AU       *int     `json:"valid_au_corrected"`
	AUFloor  *int     `json:"valid_au_corrected_floor"`
}

// logSeries are the curves of a text run's log: the training records and the validation records of
// --eval-every.
type logSeries struct {
	gen, prior, fPost, fPrior, disp      plots.Series // training records
	valid, mi, miFloor, gap, au, auFloor plots.Series // validation records
}

func newLogSeries(recs []logRecord) *logSeries {
	var s logSeries
	s.gen.Name, s.prior.Name, s.fPost.Name, s.fPrior.Name, s.valid.Name = "generator loss per token", "prior loss", "f on posterior samples", "f on prior samples", "validation NLL"
	s.mi.Name, s.miFloor.Name, s.gap.Name = "MI (nats)", "MI floor (the chains dealt to the sentences at random)", "NLL - reconstruction = KL(p(z|x) || p(z))"
	s.au.Name, s.auFloor.Name, s.disp.Name = "active units (noise-corrected)", "active units, floor", "posterior chain displacement |z_K - z_0|"
	for _, r := range recs {
		x := float64(r.Step)
		if r.ValidNLL != nil {
			s.valid.Add(x, r.ValidNLL)
			s.mi.Add(x, r.ValidMI)
			s.miFloor.Add(x, r.MIFloor)
			s.gap.Add(x, r.Gap)
			s.au.AddInt(x, r.AU)
			s.auFloor.AddInt(x, r.AUFloor)
			continue
		}
		s.disp.Add(x, &r.Displacement)
		s.gen.Add(x, &r.GenLossPerToken)
		s.prior.Add(x, &r.PriorLoss)
		s.fPost.Add(x, &r.FPost)
		s.fPrior.Add(x, &r.FPrior)
	}
	return &s
}

// Plot gives a text run's pictures: the training curves, validation NLL and the collapse measures where
// the log has them, the posterior chains' displacement, and the posterior means of the first req.Items
// validation sentences coloured by topic on the embedded corpus.
func (r *Run) Plot(req run.PlotRequest) (*run.Pictures, error) {
	pics := &run.Pictures{}
	var err error
	if r.Info.Imported != "" {
		req.Warn(fmt.Sprintf("%s was imported (lebm import): it has no training log, so only the posterior means are drawn", r.Dir))
	} else if pics.Curves, err = r.curves(req); err != nil {
		return nil, err
	}
	if pics.Latent, err = r.latent(req); err != nil {
		return nil, err
	}
	return pics, nil
}

// curves are the pictures of the run's training log.
func (r *Run) curves(req run.PlotRequest) ([]run.Curve, error) {
	recs, err := run.ReadJSONLines[logRecord](req.LogPath)
	if err != nil {
		return nil, err
	}
	s := newLogSeries(recs)
	curves := run.TrainingCurves(s.gen, s.prior, s.fPost, s.fPrior, "nats")
	if len(s.valid.X) > 0 {
		curves = append(curves, run.Curve{File: "valid.png", Title: "validation NLL", XLabel: "iteration", YLabel: "nats per sentence",
			Series: []plots.Series{s.valid}})
	} else {
		req.Warn("no validation NLL in the log (train with --eval-every N): valid.png not drawn")
	}
	if len(s.gap.X) > 0 {
		curves = append(curves, run.Curve{File: "collapse.png", Title: "information in z (validation): against the floors of a model that ignores z",
			XLabel: "iteration", YLabel: "nats / units", Series: []plots.Series{s.mi, s.miFloor, s.gap, s.au, s.auFloor}})
	}
	return append(curves, run.Curve{File: "displacement.png", Title: "posterior chains: mean distance travelled", XLabel: "iteration",
		YLabel: "|z_K - z_0|", Series: []plots.Series{s.disp}}), nil
}

// latent is the posterior means of the first req.Items validation sentences, with their topic labels and
// the topics' names where the corpus has them.
func (r *Run) latent(req run.PlotRequest) (*run.Latent, error) {
	m := r.Model
	corpus, err := LoadCorpus(r.Info.Data)
	if err != nil {
		return nil, err
	}
	sents := corpus.Valid
	if len(sents) > req.Items {
		sents = sents[:req.Items]
	}
	ds, err := corpora.NewDataset(sents, m.Vocab, corpora.Whole) // whole: an input is never cut
	if err != nil {
		return nil, err
	}
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	mu, err := m.PosteriorMeans(ds, ec)
	if err != nil {
		return nil, err
	}
	l := &run.Latent{Title: fmt.Sprintf("posterior means of %d validation sentences (PCA)", len(sents)),
		X: learn.Rows(mu, len(sents), m.Config.ZDim), Class: "topic", Items: "sentences"}
	if labels, ok := corpus.Labels["valid"]; ok {
		l.Labels, l.Names = labels[:len(sents)], corpora.Topics
	}
	return l, nil
}
