package image

import (
	"fmt"
	"io"
	"strings"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/spf13/pflag"
)

// Registration is the image family at the product seam (run.Family): the generators of the paper's
// Table 2, its own training flags (Knobs, --format, --eval-images), its checkpoints opened as a *Run.
type Registration struct{}

var _ run.Family = Registration{}

func (Registration) Name() string { return Family }
func (Registration) Summary() string {
	return "transposed-convolution image generator (the paper's Table 2)"
}
func (Registration) Presets() []string { return PresetNames() }

// Open rebuilds the model of a verified checkpoint directory.
func (Registration) Open(backend compute.Backend, dir string) (run.Model, error) {
	m, info, state, dir, err := LoadVerified(backend, dir)
	if err != nil {
		return nil, err
	}
	return &Run{Model: m, Info: info, State: state, Dir: dir}, nil
}

// Learn, RunName and Validate make a *Config a run.Config.
func (c *Config) Learn() *learn.Config { return &c.Config }
func (c *Config) RunName() string      { return "image-" + c.Preset }

// Knobs are the image family's own hyperparameter flags of `lebm train`.
var Knobs = []run.Knob[Config]{
	{Name: "ngf", Usage: "image: generator feature width ngf", Field: func(c *Config) any { return &c.NGF }},
	{Name: "sigma", Usage: "image: standard deviation of the Gaussian likelihood", Field: func(c *Config) any { return &c.Sigma }},
	{Name: "hold-out", Usage: "image: leave this class out of training (the MNIST anomaly protocol; -1 = none)",
		Field: func(c *Config) any { return &c.HoldOut }},
}

// trainFlags are the image family's flags of `lebm train`, bound.
type trainFlags struct {
	knobs      *run.Knobs[Config]
	format     string // reader (default: the preset's)
	evalImages int    // final evaluation: the first N test images (0 = all)
}

// TrainFlags adds the image family's flags to fs.
func (Registration) TrainFlags(fs *pflag.FlagSet) run.TrainFlags {
	t := &trainFlags{knobs: run.BindKnobs(fs, Knobs)}
	run.Renamed(fs, "nef", "ebm-width") // the paper's name for the EBM's width; lebm's is the shared knob's
	fs.StringVar(&t.format, "format", "", "image: data reader "+fmt.Sprint([]string{corpora.FormatMNIST, corpora.FormatCIFAR10, corpora.FormatSVHN, corpora.FormatFolder})+
		" (default: the preset's: mnist, cifar10, svhn; folder for celeba and embedded)")
	fs.IntVar(&t.evalImages, "eval-images", 0, "image: final evaluation on the first N test images (0 = all)")
	return t
}

func (t *trainFlags) Names() []string { return append(t.knobs.Names(), "format", "eval-images") }
func (t *trainFlags) Resumable(name string) bool {
	return name == "eval-images" || t.knobs.Resumable(name)
}

// Configure is the preset ("": embedded) with the flags the user set.
func (t *trainFlags) Configure(preset, _ string, core func(*learn.Config), changed func(string) bool) (run.Config, error) {
	if preset == "" {
		preset = "embedded"
	}
	cfg, err := Preset(preset)
	if err != nil {
		return nil, err
	}
	core(&cfg.Config)
	t.knobs.Apply(&cfg, changed)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t.evalImages < 0 {
		return nil, fmt.Errorf("--eval-images must be 0 (all) or more, got %d", t.evalImages)
	}
	return &cfg, cfg.IterationMemory().Check() // before anything is created
}

// readerOf is the reader of a fresh run's data (readerFor with --format).
func (t *trainFlags) readerOf(data, preset string) string { return readerFor(t.format, data, preset) }

// readerFor is the reader of a new run's data: format when given, the embedded shapes without data, the
// preset's (or layout's) own reader for mnist, cifar10 and svhn, a folder of images otherwise.
func readerFor(format, data, preset string) string {
	switch {
	case format != "":
		return format
	case data == "":
		return corpora.FormatEmbedded
	case preset == "mnist" || preset == "cifar10" || preset == "svhn":
		return preset
	}
	return corpora.FormatFolder
}

// New creates a model of cfg to train on the images at in.Data (absolute; "": the embedded shapes).
func (t *trainFlags) New(backend compute.Backend, cfg run.Config, in run.Input) (run.Session, error) {
	c := *cfg.(*Config)
	m, err := NewModel(backend, c)
	if err != nil {
		return nil, err
	}
	info := ResolveData(RunInfo{Config: c, Data: in.Data, Format: t.readerOf(in.Data, c.Preset)}, in.Data)
	data, err := LoadSplitsUI(info, info.Data, in.UI)
	if err != nil {
		return nil, err
	}
	info.TrainDigest = data.Train.Digest()
	return t.session(m, info, data, nil, in.UI)
}

// Resume continues an opened image run on its images (moved or not) or, with in.NewData, on others.
func (t *trainFlags) Resume(model run.Model, core func(*learn.Config), in run.Input) (run.Session, error) {
	r := model.(*Run)
	m, info := r.Model, r.Info
	core(&m.Config.Config)
	info.Config = m.Config
	path := in.ResumeData(info.Data)
	data, err := LoadSplitsUI(info, path, in.UI)
	if err != nil {
		return nil, corpora.MovedHint(err, info.Data, in.Data)
	}
	if info.TrainDigest, err = in.CheckData(info.Data, path, info.TrainDigest, data.Train.Digest()); err != nil {
		return nil, err
	}
	info = ResolveData(info, path) // a resume on a folder records the folder reader
	return t.session(m, info, data, &r.State, in.UI)
}

func (t *trainFlags) session(m *Model, info RunInfo, data *corpora.ImageSplits, state *TrainState, ui run.UI) (*session, error) {
	if err := m.Config.IterationMemory().Check(); err != nil { // a resumed run's settings may have changed
		return nil, err
	}
	if data.Note != "" {
		ui.Warn("note: " + data.Note)
	}
	tr, err := NewTrainer(m, data.Train, state)
	if err != nil {
		return nil, err
	}
	return &session{m: m, info: info, data: data, tr: tr, evalImages: t.evalImages, ui: ui}, nil
}

// session is an image model being trained on its images (run.Session).
type session struct {
	m          *Model
	info       RunInfo
	data       *corpora.ImageSplits
	tr         *Trainer
	evalImages int
	ui         run.UI
}

func (s *session) Model() run.Model        { return &Run{Model: s.m, Info: s.info} }
func (s *session) Trainer() *learn.Trainer { return s.tr.Trainer }
func (s *session) SetLog(w io.Writer)      { s.tr.Log = w }

func (s *session) Describe() string {
	return fmt.Sprintf("%s\ndata: %s (%d training images)", s.m, s.data.Train.Name, s.data.Train.N())
}

func (s *session) Step() (string, error) {
	st, err := s.tr.Step()
	return fmt.Sprintf("mse %.4f prior %+.3f", st.MSE, st.PriorLoss), err
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

// TrainReport is what `lebm train --family image` reports (--json: as JSON).
type TrainReport struct {
	run.Summary
	Config Config       `json:"config"`
	Data   string       `json:"data"`
	Test   *ReconResult `json:"test,omitempty"`
	Fit    *SampleFit   `json:"sample_fit,omitempty"`
	Model  string       `json:"model"`
}

// Finish evaluates the model on the test images (unless skip says why not): reconstruction error and
// how well its samples fit the test images' statistics.
func (s *session) Finish(sum run.Summary, skip string) (run.Report, error) {
	m := s.m
	rep := &TrainReport{Summary: sum, Config: m.Config, Data: s.data.Train.Name, Model: m.String()}
	if skip != "" {
		return rep, nil
	}
	ec := DefaultEvalConfig(m.Config)
	ec.Images = s.evalImages
	bar := s.ui.Bar(1, "eval test", "images")
	recon, err := m.Reconstruct(s.data.Test, s.data.Train, "test", ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	if rep.Fit, err = m.FitSamples(s.data.Test, ec); err != nil {
		return nil, err
	}
	rep.Test = recon
	return rep, nil
}

// Format is the report as `lebm train` prints it.
func (r *TrainReport) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checkpoint: %s\n", r.Checkpoint)
	if r.Test != nil {
		b.WriteString(r.Test.Format() + r.Fit.Format())
	}
	return b.String()
}

// Run is an opened image checkpoint (run.Model): the model, what the run recorded about its data, the
// training state and the checkpoint directory. Its capabilities are in capabilities.go.
type Run struct {
	Model *Model
	Info  RunInfo
	State TrainState
	Dir   string
}

// Hyperparameters are the model's configuration.
func (r *Run) Hyperparameters() run.Config { return &r.Model.Config }

func (r *Run) String() string { return r.Model.String() }
