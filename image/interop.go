package image

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// The image model in PyTorch's layout (examples/pytorch/lebm.py, README "PyTorch and Hugging Face").

var (
	_ run.Exporter = (*Run)(nil)
	_ run.Importer = Registration{}
	_ run.Imported = (*Run)(nil)
)

// Torch is the generator as PyTorch modules under prefix: layers.i = nn.ConvTranspose2d(C_in, C_out, K,
// S, P), weight [C_in, C_out, K, K] (lebm's [C_in, K, K, C_out], channels last), LeakyReLU(0.1) between,
// tanh after the last; z enters as a 1x1 image of d channels.
func (g *Generator) Torch(prefix string) []ckpt.TorchTensor {
	var out []ckpt.TorchTensor
	for i := range g.Layers {
		name := fmt.Sprintf("%slayers.%d.", prefix, i)
		out = append(out, ckpt.TorchTensor{Name: name + "weight", Vars: []*model.Variable{g.w[i]}, Perm: []int{0, 3, 1, 2}},
			ckpt.TorchTensor{Name: name + "bias", Vars: []*model.Variable{g.b[i]}})
	}
	return out
}

// Torch is the model's tensors in PyTorch's layout: generator., prior. (f_alpha) and synthesis. where
// the model has it.
func (m *Model) Torch() []ckpt.TorchTensor {
	out := append(m.Generator.Torch("generator."), m.Prior.Torch("prior.")...)
	if m.Synth != nil {
		out = append(out, m.Synth.Torch("synthesis.")...)
	}
	return out
}

// ExportConfig is config.json of an exported image model: the family and the configuration under
// hparams.json's keys.
type ExportConfig struct {
	Family string `json:"family"`
	Config
}

// exportRequired are the keys an imported config.json must have (the architecture, the likelihood and the
// chains); the others default to the presets' base values.
var exportRequired = []string{"family", "arch", "height", "width", "channels", "ngf", "sigma", "z_dim", "prior", "k0", "s0", "k1", "s1"}

// Export writes the model as an export directory: model.safetensors and config.json.
func (r *Run) Export(req run.ExportRequest) (run.Report, error) {
	return run.Export(req.Out, Family, r.Dir, r.Model.Torch(), ExportConfig{Family: Family, Config: r.Model.Config}, nil)
}

// ImportedFrom is the export directory an imported run came from ("": trained by lebm).
func (r *Run) ImportedFrom() string { return r.Info.Imported }

// Import turns an export directory into a run directory whose step-0 checkpoint holds the model (fresh
// Adam state, no training state), recording req.Data (read with req.Format, by default the layout's own
// reader) as its images.
func (Registration) Import(backend compute.Backend, req run.ImportRequest) (run.Report, error) {
	m, err := ReadExport(backend, req.Dir)
	if err != nil {
		return nil, err
	}
	data := run.AbsPath(req.Data)
	info := RunInfo{Data: data, Format: readerFor(req.Format, data, m.Config.Arch), Imported: run.AbsPath(req.Dir)}
	if err := checkImportData(info, m.Config); err != nil {
		return nil, err
	}
	state, err := learn.FreshState(m.Core)
	if err != nil {
		return nil, err
	}
	dir, err := run.ImportInto(req.Out, func() (string, error) { return Save(req.Out, m, info, state, nil) })
	if err != nil {
		return nil, err
	}
	return &run.ImportReport{Run: req.Out, Checkpoint: dir, From: req.Dir, Model: m.String(), Data: data}, nil
}

// checkImportData reads the images an imported run will evaluate on (the embedded shapes without --data)
// and refuses them now, rather than at the first eval, when they cannot be read or are not of the model's
// size.
func checkImportData(info RunInfo, c Config) error {
	if info.Data == "" && info.Format != corpora.FormatEmbedded {
		return fmt.Errorf("--format %s needs --data", info.Format)
	}
	data, err := LoadSplits(RunInfo{Data: info.Data, Format: info.Format, Config: Config{Height: c.Height, Channels: c.Channels, HoldOut: -1}}, "", nil)
	if err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	if im := data.Train; im.H != c.Height || im.W != c.Width || im.C != c.Channels {
		what := "--data " + info.Data
		if info.Data == "" {
			what = "the embedded shapes (no --data)"
		}
		return fmt.Errorf("%s: images are %dx%dx%d, the model makes %dx%dx%d: give --data (and --format) of the model's images", what, im.H, im.W, im.C, c.Height, c.Width, c.Channels)
	}
	return nil
}

// ReadExport builds the model of an export directory: config.json (required keys, no unknown ones) and
// model.safetensors (every tensor of the configuration with PyTorch's shape, no other).
func ReadExport(backend compute.Backend, dir string) (*Model, error) {
	cfg := ExportConfig{Config: base()}
	cfg.Preset = "imported"
	if err := run.ReadExportConfig(dir, &cfg, exportRequired...); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, run.ConfigFile)
	if cfg.Family != Family {
		return nil, fmt.Errorf("%s: family %q, expected %q", path, cfg.Family, Family)
	}
	m, err := NewModel(backend, cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, run.ImportTensors(dir, m.Torch(), []run.Part{{Prefix: "synthesis.", Setting: `"prior_init": "synthesis"`, Present: m.Synth != nil},
		{Prefix: "prior.", Setting: `"prior": "ebm"`, Present: m.Prior.Trainable()}})
}
