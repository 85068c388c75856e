package text

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// session is a text model being trained on a corpus (run.Session, run.Periodic).
type session struct {
	m      *Model
	info   RunInfo
	corpus *corpora.Corpus
	test   *corpora.Dataset // whole sentences of the final evaluation's split (FinalEval.Split)
	tr     *Trainer
	eval   FinalEval
	ui     run.UI

	log      io.Writer
	valid    *corpora.Dataset // encoded on the first --eval-every
	diagLine string           // the last diagnosis, for the progress line
	diag     *Diagnosis       // the last diagnosis
	lastDiag time.Time        // when the last diagnosis began (this process's start before the first)
}

func newSession(m *Model, info RunInfo, corpus *corpora.Corpus, state *TrainState, eval FinalEval, ui run.UI) (*session, error) {
	trainSet, err := TrainingSet(corpus, m.Vocab, m.Config.MaxLen)
	if err != nil {
		return nil, err
	}
	iteration, chains := m.Config.IterationMemory(m.Vocab.Size(), trainSet.MaxLen), m.chainMemory(eval.config(m.Config))
	if err := iteration.Check(); err != nil {
		return nil, err
	}
	if err := chains.Check(); err != nil { // the final evaluation's, before training
		return nil, err
	}
	learn.LimitMemory(iteration, chains)
	test, err := Encode(corpus, m.Vocab, corpora.Whole, eval.split())
	if err != nil {
		return nil, err
	}
	if w := UnknownWarningOf(test.UnknownShare(0), eval.split()); w != "" {
		ui.Warn(w + " (all of its sentences; the vocabulary was built from the training split)")
	}
	tr, err := NewTrainer(m, trainSet, state)
	if err != nil {
		return nil, err
	}
	return &session{m: m, info: info, corpus: corpus, test: test, tr: tr, eval: eval, ui: ui, lastDiag: time.Now()}, nil
}

func (s *session) Model() run.Model        { return &Run{Model: s.m, Info: s.info} }
func (s *session) Trainer() *learn.Trainer { return s.tr.Trainer }
func (s *session) SetLog(w io.Writer)      { s.tr.Log, s.log = w, w }

func (s *session) Describe() string {
	name := s.info.Data
	if name == "" {
		name = "embedded generated corpus"
	}
	preset := ""
	if c := s.m.Config; c.Preset == "corpus" {
		preset = fmt.Sprintf("\npreset: corpus, sized for the training split (text.SizeFor: embedding %d, hidden %d, %d iterations unless set)",
			c.EmbedDim, c.HiddenDim, c.Iterations)
	}
	return fmt.Sprintf("%s%s\nlearning: %s\ndata: %s (%d training sentences%s, %d buckets)",
		s.m, preset, s.m.Config.Method(), name, len(s.tr.Data.Examples), LeftOut(s.tr.Data), len(s.tr.Data.Buckets))
}

func (s *session) Step() (string, error) {
	st, err := s.tr.Step()
	return fmt.Sprintf("gen %.3f/tok prior %+.3f%s", st.GenLossPerToken, st.PriorLoss, s.diagLine), err
}

func (s *session) Save(runDir string) (string, error) {
	st, err := s.tr.SnapshotState()
	if err != nil {
		return "", err
	}
	files, err := s.tr.Files()
	if err != nil {
		return "", err
	}
	return Save(runDir, s.m, s.info, st, files)
}

// After runs the collapse diagnosis every --eval-every iterations, and when --eval-every-time has passed
// since the last one began (or the process started) and at the run's last iteration (last) unless it was
// just diagnosed, on the first validation sentences (settings stated in the record), and appends it to
// the log; its warning when the latent has collapsed.
func (s *session) After(step int, last bool) (string, error) {
	if last && s.diag != nil && s.diag.Step == step { // diagnosed already
		return "", nil
	}
	byCount := s.eval.Every > 0 && step%s.eval.Every == 0
	byTime := s.eval.EveryTime > 0 && (last || time.Since(s.lastDiag) >= s.eval.EveryTime)
	if !byCount && !byTime {
		return "", nil
	}
	began := time.Now()
	var err error
	if s.valid == nil {
		if s.valid, err = Encode(s.corpus, s.m.Vocab, corpora.Whole, "valid"); err != nil {
			return "", err
		}
	}
	ec := DiagnoseConfig(s.m.Config)
	ec.MaxSentences = s.eval.EverySentences
	d, err := s.m.Diagnose(s.valid, ec)
	if err != nil {
		return "", err
	}
	d.Step, d.Elapsed = step, s.tr.Elapsed()
	rec, _ := json.Marshal(d)
	if _, err := s.log.Write(append(rec, '\n')); err != nil {
		return "", err
	}
	s.diagLine, s.diag, s.lastDiag = " | "+d.Short(), d, began
	return d.Warning(), nil
}

// Selects is how many validation sentences the diagnoses score on (run.Selecting; 0: neither
// --eval-every nor --eval-every-time).
func (s *session) Selects() int {
	if !s.eval.diagnoses() {
		return 0
	}
	return min(s.eval.EverySentences, len(s.corpus.Valid))
}

// Validation is the validation NLL of the diagnosis After ran at iteration (run.Selecting): the run keeps
// the checkpoint where it is lowest, and evaluates that one at the end.
func (s *session) Validation(iteration int) (float64, int, bool) {
	if s.diag == nil || s.diag.Step != iteration {
		return 0, 0, false
	}
	return s.diag.ValidNLL, s.diag.Sentences, true
}

// TrainReport is what `lebm train` reports for a text model (--json: as JSON).
type TrainReport struct {
	run.Summary
	Config   Config `json:"config"`
	Learning string `json:"learning"` // the paper's method or what differs from it (Config.Method)
	// Evaluated says which checkpoint the final evaluation is of and how it was chosen ("": none ran).
	Evaluated string `json:"evaluated,omitempty"`
	// TrainSentences are the training sentences used; TrainLeftOut those longer than --max-len, left out.
	TrainSentences int          `json:"train_sentences"`
	TrainLeftOut   int          `json:"train_left_out"`
	Test           *EvalResult  `json:"test,omitempty"`
	Unigram        *Unigram     `json:"unigram_baseline,omitempty"`
	Topics         *TopicResult `json:"topics,omitempty"` // on a corpus with topic labels (the embedded one)
	Model          string       `json:"model"`

	skip string
}

// Finish evaluates the model on the test split (unless skip says why not; --eval-split valid: the
// validation split), once: the checkpoint with the best validation NLL when --eval-every kept one (the
// selection is on validation sentences only), the last one otherwise. NLL, PPL, MI, AU with the unigram
// baseline, and the topic measures on a corpus with topic labels.
func (s *session) Finish(sum run.Summary, skip string) (run.Report, error) {
	m := s.m
	rep := &TrainReport{Summary: sum, Model: m.String(), Config: m.Config, Learning: m.Config.Method(), skip: skip,
		TrainSentences: len(s.tr.Data.Examples), TrainLeftOut: s.tr.Data.LeftOut}
	if skip != "" {
		return rep, nil
	}
	rep.Evaluated = evaluated(sum, s.eval)
	if dir := sum.EvaluatedCheckpoint(); dir != sum.Checkpoint {
		best, _, _, _, err := LoadVerified(m.Backend, dir)
		if err != nil {
			return nil, err
		}
		m = best
	}
	ec := s.eval.config(m.Config)
	split := s.eval.split()
	bar := s.ui.Bar(1, "eval "+split, "chains")
	res, err := m.Evaluate(s.test, split, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	res.Corpus = CorpusName(s.corpus, "", s.info.Data)
	uni := UnigramBaseline(s.tr.Data, s.test, m.Vocab.Size(), res.Sentences) // on the sentences evaluated
	rep.Test, rep.Unigram = res, &uni
	if rep.Topics, err = m.CorpusTopics(s.corpus, split, ec, DefaultTopicConfig()); err != nil {
		return nil, err
	}
	return rep, nil
}

// Format is the report as `lebm train` prints it.
func (r *TrainReport) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint: %s (the last)\nlearning: %s\n", r.Checkpoint, r.Learning)
	if r.Test == nil {
		fmt.Fprintf(&b, "latent: not judged (%s; `lebm eval` judges it)\n", r.skip)
		return b.String()
	}
	fmt.Fprintf(&b, "evaluated: %s\n", r.Evaluated)
	b.WriteString(r.Test.Format())
	fmt.Fprintf(&b, "  unigram baseline (train counts, add-one, on the same %d sentences): NLL %.3f nats/sentence, PPL %.3f\n", r.Test.Sentences, r.Unigram.NLL, r.Unigram.PPL)
	if r.Topics != nil {
		b.WriteString(r.Topics.Format())
	}
	fmt.Fprintln(&b, r.Test.Verdict)
	return b.String()
}

// evaluated says which checkpoint the final evaluation is of and how it was chosen.
func evaluated(sum run.Summary, e FinalEval) string {
	if sum.Best == nil {
		return fmt.Sprintf("%s, the last checkpoint (no selection on validation: --eval-every N keeps the best), on the %s split", sum.Checkpoint, e.split())
	}
	return fmt.Sprintf("%s, the best of the diagnoses by validation NLL (%.3f on the first %d validation sentences, iteration %d), on the %s split, once",
		sum.BestDir, sum.Best.ValidNLL, sum.Best.Sentences, sum.Best.Step, e.split())
}
