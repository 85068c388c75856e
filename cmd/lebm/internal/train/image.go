package train

import (
	"fmt"
	"github.com/gomlx/compute"
	"path/filepath"
	"slices"
	"time"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Families of `lebm train --family` (the names checkpoints record).
const (
	FamilyText  = text.Family
	FamilyImage = image.Family
)

// ImageFlags are the flags that only the image family has.
type ImageFlags struct {
	NGF, NEF   int
	Sigma      float64
	HoldOut    int
	Format     string // reader (default: the preset's)
	EvalImages int    // final evaluation: the first N test images (0 = all)
}

// imageOnly names the image family's own flags (refused with --family text).
var imageOnly = []string{"ngf", "nef", "sigma", "hold-out", "format", "eval-images"}

// imageFlags maps the image family's own flags onto its configuration; the hyperparameter flags of the
// shared learn.Config (the overrides marked core: prior, chains, warm-ups, schedules, optimisers, run)
// apply as they do for text.
var imageFlags = map[string]func(dst *image.Config, o *Options){
	"ngf":      func(d *image.Config, o *Options) { d.NGF = o.Image.NGF },
	"nef":      func(d *image.Config, o *Options) { d.EBMWidth = o.Image.NEF },
	"sigma":    func(d *image.Config, o *Options) { d.Sigma = o.Image.Sigma },
	"hold-out": func(d *image.Config, o *Options) { d.HoldOut = o.Image.HoldOut },
}

// isCore reports whether a hyperparameter flag sets a field of the shared learn.Config.
func isCore(name string) bool {
	for _, ov := range overrides {
		if ov.name == name {
			return ov.core
		}
	}
	return false
}

func addImageFlags(cmd *cobra.Command, o *Options) {
	f := cmd.Flags()
	f.StringVar(&o.Family, "family", FamilyText, "generator family: text (LSTM decoder) or image (transposed-convolution generator)")
	f.IntVar(&o.Image.NGF, "ngf", 0, "image: generator feature width ngf (default: the preset's)")
	f.IntVar(&o.Image.NEF, "nef", 0, "image: EBM hidden width nef (same as --ebm-width; default: the preset's)")
	f.Float64Var(&o.Image.Sigma, "sigma", 0, "image: standard deviation of the Gaussian likelihood (default 0.3)")
	f.IntVar(&o.Image.HoldOut, "hold-out", -1, "image: leave this class out of training (the MNIST anomaly protocol; -1 = none)")
	f.StringVar(&o.Image.Format, "format", "", "image: data reader "+fmt.Sprint([]string{corpora.FormatMNIST, corpora.FormatCIFAR10, corpora.FormatSVHN, corpora.FormatFolder})+
		" (default: the preset's: mnist, cifar10, svhn; folder for celeba and embedded)")
	f.IntVar(&o.Image.EvalImages, "eval-images", 0, "image: final evaluation on the first N test images (0 = all)")
}

// checkFamilyFlags refuses flags that the chosen family does not have.
func (o *Options) checkFamilyFlags() error {
	switch o.Family {
	case FamilyText:
		for _, name := range o.Changed {
			if isImageOnly(name) {
				return fmt.Errorf("--%s applies to --family image only", name)
			}
		}
	case FamilyImage:
		for _, name := range o.Changed {
			if !isCore(name) && !isImageOnly(name) {
				return fmt.Errorf("--%s applies to the text family only (image flags: --ngf --nef --sigma --hold-out --format and the prior, chain, optimiser and run flags)", name)
			}
		}
	default:
		return fmt.Errorf("--family must be %q or %q, got %q", FamilyText, FamilyImage, o.Family)
	}
	return nil
}

func isImageOnly(name string) bool { return slices.Contains(imageOnly, name) }

// ResolveImageConfig returns the image preset's configuration with the flags the user set applied.
func (o *Options) ResolveImageConfig() (image.Config, error) {
	name := o.Preset
	if name == "" {
		name = "embedded"
	}
	return resolvePreset(name, image.Preset, o.applyImage)
}

func (o *Options) applyImage(cfg *image.Config) {
	shared := text.Config{Config: cfg.Config}
	for _, name := range o.Changed {
		if isCore(name) {
			o.applyFlag(name, &shared)
		}
	}
	cfg.Config = shared.Config
	for _, name := range o.Changed {
		if apply, ok := imageFlags[name]; ok {
			apply(cfg, o)
		}
	}
}

// imageFormat is the reader for a preset (the --format flag overrides it).
func imageFormat(o *Options, preset string) string {
	switch {
	case o.Image.Format != "":
		return o.Image.Format
	case o.Data == "":
		return corpora.FormatEmbedded
	case preset == "mnist" || preset == "cifar10" || preset == "svhn":
		return preset
	}
	return corpora.FormatFolder
}

// ImageSummary is what `lebm train --family image --json` prints.
type ImageSummary struct {
	RunSummary
	Config image.Config       `json:"config"`
	Data   string             `json:"data"`
	Test   *image.ReconResult `json:"test,omitempty"`
	Fit    *image.SampleFit   `json:"sample_fit,omitempty"`
	Model  string             `json:"model"`
}

// runImage trains an image model as the options say (resumed: the opened checkpoint of an image run to
// continue, or nil).
func runImage(opts *Options, backend compute.Backend, resumed *run.Run) error {
	var (
		m         *image.Model
		info      image.RunInfo
		state     *image.TrainState
		resumeDir string
	)
	runDir := opts.Out
	var err error
	if resumed != nil {
		m, info, resumeDir = resumed.Image, resumed.ImageInfo, resumed.Dir
		state = &resumed.ImageState
		opts.applyImage(&m.Config)
		if runDir == "" {
			runDir = filepath.Dir(resumeDir)
		}
	} else {
		cfg, err := opts.ResolveImageConfig()
		if err != nil {
			return err
		}
		info = image.RunInfo{Config: cfg, Data: absPath(opts.Data), Format: imageFormat(opts, cfg.Preset)}
		if runDir == "" {
			runDir = filepath.Join("runs", fmt.Sprintf("image-%s-%s", cfg.Preset, time.Now().Format("20060102-150405")))
		}
		unlock, err := opts.lockFresh(runDir)
		if err != nil {
			return err
		}
		defer unlock()
		if m, err = image.NewModel(backend, cfg); err != nil {
			return err
		}
	}
	info.Config = m.Config
	path := info.Data
	if resumed != nil {
		path = opts.resumeData(info.Data)
	}
	data, err := clix.LoadImageSplits(info, path, opts.Stderr, opts.Quiet)
	if err != nil {
		if resumed != nil {
			return corpora.MovedHint(err, info.Data, opts.Data)
		}
		return err
	}
	if resumed != nil {
		if info.TrainDigest, err = opts.checkData(info.Data, path, info.TrainDigest, data.Train.Digest()); err != nil {
			return err
		}
	} else {
		info.TrainDigest = data.Train.Digest()
	}
	info = image.ResolveData(info, path) // a resume on a folder records the folder reader
	if data.Note != "" {
		fmt.Fprintln(opts.Stderr, "note:", data.Note)
	}
	tr, err := image.NewTrainer(m, data.Train, state)
	if err != nil {
		return err
	}
	logFile, err := startRun(tr.Trainer, runDir, resumeDir, opts.Stderr)
	if err != nil {
		return err
	}
	defer logFile.Close()
	tr.Log = logFile
	fmt.Fprintf(opts.Stderr, "%s\ndata: %s (%d training images); run directory: %s; backend: %s\n",
		m, data.Train.Name, data.Train.N(), runDir, engine.Describe(opts.Backend, backend))

	cfg := m.Config
	res, err := loop{
		step: func() (int, string, error) {
			st, err := tr.Step()
			return st.Step, fmt.Sprintf("mse %.4f prior %+.3f", st.MSE, st.PriorLoss), err
		},
		save: func() (string, error) {
			st, err := tr.SnapshotState()
			if err != nil {
				return "", err
			}
			files, err := tr.Files()
			if err != nil {
				return "", err
			}
			return image.Save(runDir, m, info, st, files)
		},
		start: tr.State.Step, iterations: cfg.Iterations, saveEvery: cfg.SaveEvery,
	}.run(opts)
	if err != nil {
		return err
	}
	res.report(opts, runDir, tr.Timing)
	sum := ImageSummary{RunSummary: res.summary(runDir, tr.Timing), Config: m.Config, Data: data.Train.Name, Model: m.String()}
	if !opts.NoEval && !res.interrupted() {
		ec := image.DefaultEvalConfig(cfg)
		ec.Images = opts.Image.EvalImages
		ebar := clix.NewBar(opts.Stderr, 1, "eval test", "images", opts.Quiet)
		recon, err := m.Reconstruct(data.Test, data.Train, "test", ec, ebar.Progress)
		ebar.Finish()
		if err != nil {
			return err
		}
		if sum.Fit, err = m.FitSamples(data.Test, ec); err != nil {
			return err
		}
		sum.Test = recon
	}
	if opts.JSON {
		if err := clix.PrintJSON(opts.Stdout, sum); err != nil {
			return err
		}
		return res.stopped()
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\n", res.Checkpoint)
	if sum.Test != nil {
		fmt.Fprint(opts.Stdout, sum.Test.Format(), sum.Fit.Format())
	}
	return res.stopped()
}
