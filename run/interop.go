package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
)

// Moving models to and from PyTorch and Hugging Face: an export directory holds model.safetensors (the
// model's tensors named and laid out as the PyTorch modules of examples/pytorch/lebm.py hold them),
// config.json (the family and its hyperparameters under the keys of the checkpoint's hparams.json) and
// the family's other files (text: tokenizer.json).

// ConfigFile is the hyperparameters file of an export directory (Hugging Face's name).
const ConfigFile = "config.json"

// ExportRequest asks for the model in an export directory Out (created; it must not exist or be empty).
type ExportRequest struct {
	Out string
	UI
}

// Exporter writes the model as an export directory (`lebm export`).
type Exporter interface {
	Export(ExportRequest) (Report, error)
}

// ImportRequest asks for a run directory Out holding the model of export directory Dir, recording Data
// (and, for picture families, its Format) as the run's data.
type ImportRequest struct {
	Dir, Out     string
	Data, Format string
	UI
}

// Importer is the optional part of a Family that reads export directories (`lebm import`).
type Importer interface {
	Import(backend compute.Backend, req ImportRequest) (Report, error)
}

// Imported is the optional part of a Model that says it came from an export directory: such a run has no
// training state and cannot be resumed.
type Imported interface {
	ImportedFrom() string // the export directory ("": trained by lebm)
}

// Import reads the family config.json names and lets it import the directory.
func (r *Registry) Import(backend compute.Backend, req ImportRequest) (Report, error) {
	path := filepath.Join(req.Dir, ConfigFile)
	var probe struct {
		Family *string `json:"family"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", path, err)
	}
	if probe.Family == nil {
		return nil, fmt.Errorf("%s: no \"family\" key, expected one of %v", path, r.Names())
	}
	fam, err := r.Get(*probe.Family)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	im, ok := fam.(Importer)
	if !ok {
		return nil, fmt.Errorf("%s: the %s family cannot import models", path, fam.Name())
	}
	return im.Import(backend, req)
}

// WriteExport writes an export directory: model.safetensors with tensors (and metadata), config.json
// with config, and files (name -> bytes). out must not exist or be empty.
func WriteExport(out string, tensors map[string]ckpt.Tensor, metadata map[string]string, config any, files map[string][]byte) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("--out %s is not empty: give a new directory for the export", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(config, "", " ")
	if err != nil {
		return err
	}
	if err := ckpt.WriteAtomic(filepath.Join(out, ConfigFile), append(cfg, '\n')); err != nil {
		return err
	}
	for name, b := range files {
		if err := ckpt.WriteAtomic(filepath.Join(out, name), b); err != nil {
			return err
		}
	}
	return ckpt.WriteSafetensors(filepath.Join(out, ckpt.SafetensorsFile), tensors, metadata)
}

// ReadExportConfig decodes dir's config.json into config, which holds the family's defaults: every key
// in required must be present, and no key config does not know may be.
func ReadExportConfig(dir string, config any, required []string) error {
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	for _, k := range required {
		if _, ok := keys[k]; !ok {
			return fmt.Errorf("%s: key %q is missing (required: %v)", path, k, required)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(config); err != nil {
		return fmt.Errorf("%s: %w (the keys are those of lebm's hparams.json config, see the README)", path, err)
	}
	return nil
}

// ReadExportTensors reads dir's model.safetensors.
func ReadExportTensors(dir string) (map[string]ckpt.Tensor, error) {
	ts, _, err := ckpt.ReadSafetensors(filepath.Join(dir, ckpt.SafetensorsFile))
	return ts, err
}

// ExportReport is what `lebm export` reports.
type ExportReport struct {
	Dir     string   `json:"dir"`
	Files   []string `json:"files"`
	Tensors int      `json:"tensors"`
	Values  int      `json:"values"`
}

// NewExportReport describes an export of tensors into dir.
func NewExportReport(dir string, tensors map[string]ckpt.Tensor, files ...string) *ExportReport {
	r := &ExportReport{Dir: dir, Files: append([]string{ckpt.SafetensorsFile, ConfigFile}, files...), Tensors: len(tensors)}
	for _, t := range tensors {
		r.Values += len(t.Data)
	}
	slices.Sort(r.Files)
	return r
}

func (r *ExportReport) Format() string {
	return fmt.Sprintf("exported %d tensors (%d values) to %s: %v\n", r.Tensors, r.Values, r.Dir, r.Files)
}

// ImportReport is what `lebm import` reports.
type ImportReport struct {
	Run        string `json:"run"`
	Checkpoint string `json:"checkpoint"`
	From       string `json:"from"`
	Model      string `json:"model"`
	Data       string `json:"data"`
}

func (r *ImportReport) Format() string {
	data := r.Data
	if data == "" {
		data = "the family's embedded data (give --data to evaluate on another corpus)"
	}
	return fmt.Sprintf("imported %s into %s\n%s\ndata: %s\n", r.From, r.Checkpoint, r.Model, data)
}
