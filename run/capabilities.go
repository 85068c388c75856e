package run

import (
	"io"

	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
)

// The capabilities a family's models may have, one small interface per command that needs a model. Each
// takes a request whose fields are the command's settings, resolved ("not given: the model's value"
// applied); a field a family has no use for is ignored (the help of each flag says which models use it).

// Posterior are the settings of the posterior chains that infer z for given examples: Chains chains per
// example of K1 Langevin steps of size S1; z is the mean of their end points.
type Posterior struct {
	Chains int
	K1     int
	S1     float64
	Seed   uint64
}

// Decoding says how a sequence family turns z into a sequence (text: greedy, sample, beam).
type Decoding struct {
	Method      string  `json:"method"`
	Temperature float64 `json:"temperature"` // for sampling: p^(1/T), renormalised
	BeamWidth   int     `json:"beam_width"`  // for beam search
	MaxWords    int     `json:"max_words"`   // stop after this many words (0: the model's limit: its max-len - 2, or 100 words for a model of whole sentences)
}

// ValidTemperature reports whether t is a usable sampling temperature: p^(1/t) needs t and 1/t positive and
// finite in float32 (NaN is not).
func ValidTemperature(t float64) bool { return learn.PositiveFloat32(t) && learn.PositiveFloat32(1/t) }

// Grid is where a picture family writes a grid of pictures.
type Grid struct {
	Out  string // PNG file
	Cols int    // pictures per row
}

// SampleRequest asks for N samples: z from the prior (a prior chain of K0 steps of size S0), decoded.
type SampleRequest struct {
	N      int
	K0     int
	S0     float64
	Seed   uint64
	Decode Decoding
	Grid
	UI
}

// Sampler draws samples from the model (`lebm sample`).
type Sampler interface {
	Sample(SampleRequest) (Report, error)
}

// ReconstructRequest asks for the reconstructions of examples: from Input (a file, "-" for Stdin) for
// families whose examples are given by the user, else the first Images test examples of the run's data
// (Input, when not "-", is other data in its format).
type ReconstructRequest struct {
	Input  string
	Stdin  io.Reader
	Post   Posterior
	Decode Decoding
	Images int
	Grid
	UI
}

// Reconstructor reconstructs examples from z inferred by the posterior chains (`lebm reconstruct`).
type Reconstructor interface {
	Reconstruct(ReconstructRequest) (Report, error)
}

// InterpolateRequest asks for Points points on the line between the inferred codes of two examples
// (sentences, or indices of test examples), endpoints included.
type InterpolateRequest struct {
	First, Second string
	Points        int
	Post          Posterior
	Decode        Decoding
	Out           string // picture families: the PNG to write
	UI
}

// Interpolator decodes along the line between two inferred codes (`lebm interpolate`).
type Interpolator interface {
	Interpolate(InterpolateRequest) (Report, error)
}

// EvalRequest asks for the evaluation of the model on a split: the estimators' settings (Estimator:
// posterior chains, their K1 and s1, importance samples, sigma floor, rows per call), and the family's own.
type EvalRequest struct {
	Split string
	Data  string // other data than the run's ("": the run's)
	learn.Estimator
	LogZSamples  int
	Seed         uint64
	MaxSentences int    // text: the first N sentences only (0 = all)
	MaxLen       int    // text: leave out the sentences of more tokens, counted (0 = score every sentence whole)
	SentenceNLL  string // text: file for -log p(x) of each sentence
	Generation   *GenerationRequest
	Images       int    // images: the first N images of the split (0 = all)
	Inception    string // images: Inception-v3 weights for FID ("" = no FID)
	FIDSamples   int
	FIDReal      int
	FIDReference string
	UI
}

// GenerationRequest asks for generation metrics (text: reverse and forward PPL, BLEU, word KL).
type GenerationRequest struct {
	Samples      int
	Temperature  float64
	LMIterations int    // 0: the model's
	LM           string // checkpoint of a language model of the real data ("": train one)
}

// Evaluator evaluates the model on a split (`lebm eval`).
type Evaluator interface {
	Evaluate(EvalRequest) (Report, error)
}

// PlotRequest asks for the pictures of a run: its log's curves and the posterior means of its first
// Items validation (or test) examples.
type PlotRequest struct {
	LogPath string
	Items   int
	Post    Posterior
	UI
}

// Series is one named curve of a Curve: points (X[i], Y[i]); Add appends a log record's value.
type Series = plots.Series

// Curve is a picture of curves against the iteration.
type Curve struct {
	File, Title, XLabel, YLabel string
	Series                      []Series
}

// TrainingCurves are the pictures every run's log gives: losses.png (the generator's loss, in lossUnit,
// and the prior's) and energies.png (f_alpha on posterior and on prior samples).
func TrainingCurves(gen, prior, fPost, fPrior Series, lossUnit string) []Curve {
	return []Curve{
		{File: "losses.png", Title: "training losses", XLabel: "iteration", YLabel: lossUnit, Series: []Series{gen, prior}},
		{File: "energies.png", Title: "f_alpha on posterior and prior samples", XLabel: "iteration", YLabel: "f", Series: []Series{fPost, fPrior}},
	}
}

// Latent is a picture of posterior means (rows of X), coloured by Labels (nil: none) named by Names.
type Latent struct {
	Title        string
	X            [][]float64
	Labels       []int
	Names        []string
	Class, Items string // what a label and a point are ("topic", "sentences")
}

// Pictures are what a Plotter gives the plot command to draw.
type Pictures struct {
	Curves []Curve
	Latent *Latent
}

// Plotter gives the pictures of a run (`lebm plot`).
type Plotter interface {
	Plot(PlotRequest) (*Pictures, error)
}

// AnomalyRequest asks for the anomaly scores of the first Images test examples (0 = all) against Class
// (ClassGiven false: the class held out in training).
type AnomalyRequest struct {
	Data       string
	Class      int
	ClassGiven bool
	Images     int
	Post       Posterior
	UI
}

// AnomalyScorer scores test examples as anomalies of a class (`lebm anomaly`).
type AnomalyScorer interface {
	Anomaly(AnomalyRequest) (Report, error)
}
