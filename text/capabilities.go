package text

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// What a text model can do at the product seam: sample, reconstruct, interpolate, evaluate and plot
// (no anomaly scores: that protocol is the image family's).
var (
	_ run.Sampler       = (*Run)(nil)
	_ run.Reconstructor = (*Run)(nil)
	_ run.Interpolator  = (*Run)(nil)
	_ run.Evaluator     = (*Run)(nil)
	_ run.Plotter       = (*Run)(nil)
)

// posterior is the estimator setting of the posterior chains of p (their mean is z).
func (r *Run) posterior(p run.Posterior) (EvalConfig, error) {
	ec := DefaultEvalConfig(r.Model.Config)
	ec.Chains, ec.Seed, ec.K1, ec.S1 = p.Chains, p.Seed, p.K1, p.S1
	if ec.RowsPerCall < ec.Chains {
		ec.RowsPerCall = ec.Chains
	}
	return ec, r.Model.chainMemory(ec).Check()
}

// Sampled is one generated sentence.
type Sampled struct {
	Text string    `json:"text"`
	Z    []float32 `json:"z"`
}

// SampleReport is what `lebm sample` prints for a text model.
type SampleReport struct {
	Prior   string        `json:"prior"`
	K0      int           `json:"k0"`
	S0      float64       `json:"s0"`
	Decode  DecodeOptions `json:"decode"`
	Samples []Sampled     `json:"samples"`
}

// Format is one sentence per line.
func (s *SampleReport) Format() string {
	var b strings.Builder
	for _, x := range s.Samples {
		b.WriteString(x.Text + "\n")
	}
	return b.String()
}

// SampleChunk is how many sentences `lebm sample` draws and decodes at a time: the memory of a prior chain
// and a decoding is that of SampleChunk rows, whatever -n.
const SampleChunk = 1024

// sampleMemory is what n samples hold when reported: z and up to WordLimit words of about 8 bytes each.
func (m *Model) sampleMemory(n int) learn.Memory {
	c := m.Config
	b := float64(n) * (float64(c.ZDim)*learn.Float32Bytes + float64(c.WordLimit())*8 + 64)
	return learn.Memory{Bytes: b, What: fmt.Sprintf("%d sampled sentences (-n %d)", n, n)}
}

// Sample draws z from the prior (prior chain of req.K0 steps of size req.S0) and decodes sentences,
// SampleChunk at a time.
func (r *Run) Sample(req run.SampleRequest) (run.Report, error) {
	m := r.Model
	if err := m.sampleMemory(req.N).Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(req.Seed, 0x5a3b))
	d := m.Config.ZDim
	rep := &SampleReport{Prior: m.Config.Prior, K0: req.K0, S0: req.S0, Decode: req.Decode, Samples: make([]Sampled, 0, req.N)}
	bar := req.Bar(req.N, "sample", "sentences")
	defer bar.Finish()
	for len(rep.Samples) < req.N {
		n := min(SampleChunk, req.N-len(rep.Samples))
		z, err := m.SamplePrior(n, req.K0, req.S0, rng, -1)
		if err != nil {
			return nil, err
		}
		sents, err := m.Decode(z, n, req.Decode, rng)
		if err != nil {
			return nil, err
		}
		for i, s := range sents {
			rep.Samples = append(rep.Samples, Sampled{Text: strings.Join(m.Vocab.Decode(s), " "), Z: z[i*d : (i+1)*d]})
		}
		bar.Set(len(rep.Samples))
	}
	return rep, nil
}

// Pair is an input sentence (as the model sees it) and its reconstruction.
type Pair struct {
	Input          string    `json:"input"`
	Reconstruction string    `json:"reconstruction"`
	Z              []float32 `json:"z"`
}

// Pairs is what `lebm reconstruct` prints for a text model.
type Pairs []Pair

// Format is input and reconstruction, tab-separated, one pair per line.
func (ps Pairs) Format() string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s\t%s\n", p.Input, p.Reconstruction)
	}
	return b.String()
}

// Reconstruct infers z for each sentence of req.Input (a file, or "-": req.Stdin) and decodes it.
func (r *Run) Reconstruct(req run.ReconstructRequest) (run.Report, error) {
	var sents [][]string
	var err error
	if req.Input == "-" {
		sents, err = corpora.Read(req.Stdin, "standard input", 0)
	} else {
		var f *os.File
		if f, err = os.Open(req.Input); err != nil {
			return nil, fmt.Errorf("reconstruct: %w", err)
		}
		defer f.Close()
		sents, err = corpora.Read(f, req.Input, 0)
	}
	if err != nil {
		return nil, err
	}
	if req.Decode.Method == Sample {
		return nil, fmt.Errorf("reconstruct decodes greedily or by beam search, not by sampling")
	}
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	return r.reconstruct(sents, ec, req.Decode)
}

func (r *Run) reconstruct(sents [][]string, ec EvalConfig, dec DecodeOptions) (Pairs, error) {
	m := r.Model
	ds, err := corpora.NewDataset(sents, m.Vocab, corpora.Whole) // whole: an input is never cut
	if err != nil {
		return nil, err
	}
	z, err := m.PosteriorMeans(ds, ec)
	if err != nil {
		return nil, err
	}
	out, err := m.Decode(z, len(sents), dec, nil)
	if err != nil {
		return nil, err
	}
	d := m.Config.ZDim
	pairs := make(Pairs, len(sents))
	for i := range sents {
		pairs[i] = Pair{Input: strings.Join(m.Vocab.Decode(ds.Examples[i]), " "),
			Reconstruction: strings.Join(m.Vocab.Decode(out[i]), " "), Z: z[i*d : (i+1)*d]}
	}
	return pairs, nil
}

// Point is one decoded point of an interpolation.
type Point struct {
	Alpha float64 `json:"alpha"`
	Text  string  `json:"text"`
}

// Points is what `lebm interpolate` prints for a text model.
type Points []Point

// Format is a and the sentence, tab-separated, one point per line.
func (ps Points) Format() string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%.3f\t%s\n", p.Alpha, p.Text)
	}
	return b.String()
}

// Interpolate infers z1 and z2 for two sentences and decodes z = (1 - a) z1 + a z2 at req.Points values
// of a from 0 to 1.
func (r *Run) Interpolate(req run.InterpolateRequest) (run.Report, error) {
	var sents [][]string
	for i, s := range []string{req.First, req.Second} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("interpolate: sentence %d is not valid UTF-8 (at byte %d): give the sentences in UTF-8", i+1, corpora.FirstInvalidUTF8([]byte(s)))
		}
		words := strings.Fields(s)
		if len(words) == 0 {
			return nil, fmt.Errorf("interpolate: empty sentence")
		}
		sents = append(sents, words)
	}
	if req.Decode.Method == Sample {
		return nil, fmt.Errorf("interpolate decodes greedily or by beam search, not by sampling")
	}
	m := r.Model
	ds, err := corpora.NewDataset(sents, m.Vocab, corpora.Whole) // whole: an input is never cut
	if err != nil {
		return nil, err
	}
	ec, err := r.posterior(req.Post)
	if err != nil {
		return nil, err
	}
	if err := m.Config.ChainMemory(req.Points, fmt.Sprintf("--points %d decoded at once", req.Points), m.Vocab.Size()).Check(); err != nil {
		return nil, err
	}
	mu, err := m.PosteriorMeans(ds, ec)
	if err != nil {
		return nil, err
	}
	d := m.Config.ZDim
	z, alphas := learn.Line(mu[:d], mu[d:], req.Points)
	out, err := m.Decode(z, req.Points, req.Decode, nil)
	if err != nil {
		return nil, err
	}
	points := make(Points, req.Points)
	for k := range points {
		points[k] = Point{Alpha: alphas[k], Text: strings.Join(m.Vocab.Decode(out[k]), " ")}
	}
	return points, nil
}

// EvalReport is what `lebm eval` prints for a text model.
type EvalReport struct {
	Checkpoint string `json:"checkpoint"`
	*EvalResult
	Generation *GenerationResult `json:"generation,omitempty"`
	Topics     *TopicResult      `json:"topics,omitempty"` // on a corpus with topic labels (the embedded one)
}

// Format is the evaluation as `lebm eval` prints it, its verdict on the latent last.
func (e *EvalReport) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint: %s\n%s", e.Checkpoint, e.EvalResult.Format())
	if e.Generation != nil {
		b.WriteString(e.Generation.Format())
	}
	if e.Topics != nil {
		b.WriteString(e.Topics.Format())
	}
	b.WriteString(e.Verdict + "\n")
	return b.String()
}

// Evaluate estimates NLL, PPL, MI and AU on a split (and with req.Generation the generation metrics, on
// the embedded corpus the topic measures), each with its estimator settings.
func (r *Run) Evaluate(req run.EvalRequest) (run.Report, error) {
	m := r.Model
	ec := DefaultEvalConfig(m.Config)
	ec.Estimator, ec.LogZSamples, ec.Seed = req.Estimator, req.LogZSamples, req.Seed
	ec.MaxSentences, ec.MaxLen = req.MaxSentences, req.MaxLen
	if err := ec.Validate(); err != nil {
		return nil, err
	}
	if r.Info.Imported != "" && r.Info.Data == "" && req.Data == "" {
		return nil, fmt.Errorf("%s was imported from %s without a corpus (lebm import --data): give --data DIR, the corpus to evaluate it on "+
			"(lebm does not fall back to its embedded demo corpus)", r.Dir, r.Info.Imported)
	}
	corpus, ds, err := LoadSplit(r.Info.Data, req.Data, m.Vocab, ec.MaxLen, req.Split)
	if err != nil {
		return nil, err
	}
	req.Note(fmt.Sprintf("%s\ncheckpoint: %s", m, r.Dir))
	bar := req.Bar(1, "eval "+req.Split, "chains")
	res, err := m.Evaluate(ds, req.Split, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	res.Corpus = CorpusName(corpus, req.Data, r.Info.Data)
	if w := UnknownWarningOf(res.UnknownShare, req.Split); w != "" { // of the sentences evaluated
		req.Warn(w)
	}
	if req.SentenceNLL != "" {
		var b strings.Builder
		for _, v := range res.SentenceNLL {
			fmt.Fprintf(&b, "%.6f\n", v)
		}
		if err := ckpt.WriteAtomic(req.SentenceNLL, []byte(b.String())); err != nil {
			return nil, err
		}
	}
	rep := &EvalReport{Checkpoint: r.Dir, EvalResult: res}
	if req.Generation != nil {
		if rep.Generation, err = r.generation(req, corpus, ds); err != nil {
			return nil, err
		}
	}
	if rep.Topics, err = m.CorpusTopics(corpus, req.Split, ec, DefaultTopicConfig()); err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *Run) generation(req run.EvalRequest, corpus *corpora.Corpus, test *corpora.Dataset) (*GenerationResult, error) {
	m, g := r.Model, req.Generation
	gc := DefaultGenerationConfig(m.Config)
	gc.Samples, gc.Temperature, gc.Seed, gc.Split = g.Samples, g.Temperature, req.Seed, req.Split
	if g.LMIterations > 0 {
		gc.LMIterations = g.LMIterations
	}
	var realLM *LM
	if g.LM != "" {
		var err error
		if realLM, err = LoadLM(m.Backend, g.LM); err != nil {
			return nil, err
		}
	}
	train, err := Encode(corpus, m.Vocab, m.Config.MaxLen, "train")
	if err != nil {
		return nil, err
	}
	return m.GenerationMetrics(train, test, realLM, gc, func(lm *LM, data *corpora.Dataset, label string) error {
		return TrainLMWithProgress(lm, data, label, req.UI, LMSchedule{})
	})
}

// TrainLMWithProgress trains a language model on sentences (the train split of a corpus or model
// samples) to its configured iterations or until sched.MaxTime, showing its progress and loss, and
// scoring itself as sched says.
func TrainLMWithProgress(lm *LM, data *corpora.Dataset, label string, ui run.UI, sched LMSchedule) error {
	bar := ui.Bar(lm.Config.Iterations, label, "it")
	start, scored := time.Now(), time.Now()
	for lm.Step < lm.Config.Iterations {
		if sched.MaxTime > 0 && time.Since(start) >= sched.MaxTime {
			break
		}
		loss, err := lm.TrainStep(data)
		if err != nil {
			return err
		}
		bar.Set(lm.Step)
		bar.Describe(fmt.Sprintf("%s loss %.3f/tok", label, loss))
		if sched.Every > 0 && time.Since(scored) >= sched.Every {
			if err := sched.score(lm, time.Since(start)); err != nil {
				return err
			}
			scored = time.Now()
		}
	}
	bar.Finish()
	// Fewer when MaxTime stopped it: the model says what it was trained for.
	lm.Config.Iterations = lm.Step
	if sched.Every > 0 && sched.scored != lm.Step { // the end point of the curve
		return sched.score(lm, time.Since(start))
	}
	return nil
}

// LMSchedule is when a language model's training stops early and scores itself on validation sentences.
type LMSchedule struct {
	MaxTime time.Duration    // stop after this long (0: at its iterations)
	Every   time.Duration    // score Valid this often, and at the end (0: never)
	Valid   *corpora.Dataset // the sentences scored (exact likelihood)
	Log     io.Writer        // one LMPoint per line (JSON)
	scored  int              // the step last scored
}

// LMPoint is a point of a language model's learning curve.
type LMPoint struct {
	Step      int     `json:"step"`
	Kind      string  `json:"kind"` // "validation"
	Sentences int     `json:"valid_sentences"`
	ValidNLL  float64 `json:"valid_nll"`
	ValidPPL  float64 `json:"valid_ppl"`
	Elapsed   float64 `json:"elapsed_s"` // wall-clock seconds since the training began (its scorings included)
}

func (s *LMSchedule) score(lm *LM, elapsed time.Duration) error {
	s.scored = lm.Step
	sc, err := lm.Evaluate(s.Valid)
	if err != nil {
		return err
	}
	rec, _ := json.Marshal(LMPoint{Step: lm.Step, Kind: "validation", Sentences: sc.Sentences, ValidNLL: sc.NLL, ValidPPL: sc.PPL, Elapsed: elapsed.Seconds()})
	_, err = s.Log.Write(append(rec, '\n'))
	return err
}
