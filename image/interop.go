package image

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
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
var exportRequired = []string{"family", "arch", "height", "width", "channels", "ngf", "sigma", "z_dim", "prior", "ebm_width", "k0", "s0", "k1", "s1"}

// Export writes the model as an export directory: model.safetensors and config.json.
func (r *Run) Export(req run.ExportRequest) (run.Report, error) {
	ts, err := ckpt.ExportTorch(r.Model.Torch())
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"format": "pt", "lebm_family": Family, "lebm_checkpoint": r.Dir}
	if err := run.WriteExport(req.Out, ts, meta, ExportConfig{Family: Family, Config: r.Model.Config}, nil); err != nil {
		return nil, err
	}
	return run.NewExportReport(req.Out, ts), nil
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
	if entries, err := os.ReadDir(req.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--out %s is not empty: give a new run directory", req.Out)
	}
	unlock, err := ckpt.Lock(req.Out, "lebm import")
	if err != nil {
		return nil, err
	}
	defer unlock()
	data := run.AbsPath(req.Data)
	info := RunInfo{Data: data, Format: readerFor(req.Format, data, m.Config.Arch), Imported: run.AbsPath(req.Dir)}
	tr, err := learn.NewTrainer(m.Core, 1, nil)
	if err != nil {
		return nil, err
	}
	state, err := tr.Snapshot(0, 0)
	if err != nil {
		return nil, err
	}
	dir, err := Save(req.Out, m, info, state, nil)
	if err != nil {
		return nil, err
	}
	return &run.ImportReport{Run: req.Out, Checkpoint: dir, From: req.Dir, Model: m.String(), Data: data}, nil
}

// ReadExport builds the model of an export directory: config.json (required keys, no unknown ones) and
// model.safetensors (every tensor of the configuration with PyTorch's shape, no other).
func ReadExport(backend compute.Backend, dir string) (*Model, error) {
	cfg := ExportConfig{Config: base()}
	cfg.Preset = "imported"
	if err := run.ReadExportConfig(dir, &cfg, exportRequired); err != nil {
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
	ts, err := run.ReadExportTensors(dir)
	if err != nil {
		return nil, err
	}
	if err := ckpt.ImportTorch(filepath.Join(dir, ckpt.SafetensorsFile), m.Torch(), ts); err != nil {
		return nil, err
	}
	return m, nil
}
