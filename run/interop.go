package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

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

// Export writes the export directory out of a model of family, opened from checkpoint: its tensors in
// PyTorch's layout (specs), config.json with config, and files (name -> bytes), and reports it.
func Export(out, family, checkpoint string, specs []ckpt.TorchTensor, config any, files map[string][]byte) (*ExportReport, error) {
	ts, err := ckpt.ExportTorch(specs)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"format": "pt", "lebm_family": family, "lebm_checkpoint": checkpoint}
	if err := writeExport(out, ts, meta, config, files); err != nil {
		return nil, err
	}
	r := &ExportReport{Dir: out, Files: append([]string{ckpt.SafetensorsFile, ConfigFile}, slices.Collect(maps.Keys(files))...), Tensors: len(ts)}
	for _, t := range ts {
		r.Values += len(t.Data)
	}
	slices.Sort(r.Files)
	return r, nil
}

// writeExport writes an export directory: model.safetensors with tensors (and metadata), config.json
// with config, and files (name -> bytes). out must not exist or be empty. The files are written into a
// temporary directory beside out, which is renamed to out once complete: a failed export leaves nothing.
func writeExport(out string, tensors map[string]ckpt.Tensor, metadata map[string]string, config any, files map[string][]byte) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("--out %s is not empty: give a new directory for the export", out)
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // nothing is left of it once renamed
	cfg, err := json.MarshalIndent(config, "", " ")
	if err != nil {
		return err
	}
	files = maps.Clone(files)
	if files == nil {
		files = map[string][]byte{}
	}
	files[ConfigFile] = append(cfg, '\n')
	for name, b := range files {
		if err := ckpt.WriteAtomic(filepath.Join(tmp, name), b); err != nil {
			return err
		}
	}
	if err := ckpt.WriteSafetensors(filepath.Join(tmp, ckpt.SafetensorsFile), tensors, metadata); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil { // onto an empty out: replaced on Linux; else remove it first
		if rmErr := os.Remove(out); rmErr != nil {
			return err
		}
		return os.Rename(tmp, out)
	}
	return nil
}

// ReadExportConfig decodes dir's config.json into config, which holds the family's defaults: every key
// in required (and ebm_width with the ebm prior) must be present and not null, and every key must be one of config's JSON names exactly (the
// decoder alone would take "Sigma" for "sigma", which PyTorch code reading the file would not).
func ReadExportConfig(dir string, config any, required ...string) error {
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	if p, ok := keys["prior"]; ok && string(bytes.TrimSpace(p)) == `"ebm"` {
		required = append(required, "ebm_width") // the gaussian prior has no f_alpha to size
	}
	known := jsonKeys(reflect.TypeOf(config))
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains(known, k) {
			return fmt.Errorf("%s: unknown key %q (the keys are those of lebm's hparams.json config, spelt exactly: see the README)", path, k)
		}
		if string(bytes.TrimSpace(keys[k])) == "null" {
			return fmt.Errorf("%s: key %q is null, expected a value", path, k)
		}
	}
	for _, k := range required {
		if _, ok := keys[k]; !ok {
			return fmt.Errorf("%s: key %q is missing (required: %v)", path, k, required)
		}
	}
	if err := json.Unmarshal(b, config); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// jsonKeys are the JSON names of a struct type's fields (through pointers, embedded structs inlined).
func jsonKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			out = append(out, jsonKeys(f.Type)...)
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// ExportReport is what `lebm export` reports.
type ExportReport struct {
	Dir     string   `json:"dir"`
	Files   []string `json:"files"`
	Tensors int      `json:"tensors"`
	Values  int      `json:"values"`
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

// ImportInto fills the run directory out (new, or empty but for a lock file) under its lock with write,
// which returns the checkpoint it wrote; a failed write leaves out as it was (removed if it was new).
func ImportInto(out string, write func() (checkpoint string, err error)) (string, error) {
	_, statErr := os.Stat(out)
	created := os.IsNotExist(statErr)
	unlock, err := ckpt.Lock(out, "lebm import")
	if err != nil {
		return "", err
	}
	defer unlock()
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.Name() != ckpt.LockFile {
			return "", fmt.Errorf("--out %s is not empty: give a new run directory", out)
		}
	}
	dir, err := write()
	if err != nil {
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if e.Name() != ckpt.LockFile {
				os.RemoveAll(filepath.Join(out, e.Name()))
			}
		}
		removeNew(out, created)
		return "", err
	}
	return dir, nil
}

// removeNew removes a run directory that a command created and that holds nothing but its released lock
// (a start that failed); one that existed before, or holds more, stays.
func removeNew(dir string, created bool) {
	if created {
		os.Remove(filepath.Join(dir, ckpt.LockFile))
		os.Remove(dir)
	}
}

// Part is an optional part of a model (its tensors' name prefix), the config.json setting that adds it,
// and whether the configuration read has it.
type Part struct {
	Prefix, Setting string
	Present         bool
}

// ImportTensors sets the variables of specs from dir's model.safetensors (ckpt.ImportTorch), first
// refusing tensors of a part the configuration leaves out, naming the setting that adds it.
func ImportTensors(dir string, specs []ckpt.TorchTensor, parts []Part) error {
	path := filepath.Join(dir, ckpt.SafetensorsFile)
	ts, _, err := ckpt.ReadSafetensors(path)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(ts)) {
		for _, p := range parts {
			if strings.HasPrefix(name, p.Prefix) && !p.Present {
				return fmt.Errorf("%s: tensor %q is of a part config.json does not configure: set %s in %s", path, name, p.Setting, ConfigFile)
			}
		}
	}
	return ckpt.ImportTorch(path, specs, ts)
}
