package text

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

// The text model in PyTorch's layout (examples/pytorch/lebm.py, README "PyTorch and Hugging Face").

var (
	_ run.Exporter = (*Run)(nil)
	_ run.Importer = Registration{}
	_ run.Imported = (*Run)(nil)
)

// Torch is the decoder as PyTorch modules under prefix: embedding = nn.Embedding(V, E); lstm =
// nn.LSTM(E + d, H) fed [e_t ; z] (weight_ih_l0 [4H, E + d] = [W_x ; W_z]^T, weight_hh_l0 = U^T, gates
// in PyTorch's order i f g o, which is lebm's; lebm's one bias b is bias_ih_l0, and bias_hh_l0 is zero,
// added to b on import); init_h = nn.Linear(d, H), h_0 = tanh(init_h(z)), c_0 = 0; out = nn.Linear(H, V).
func (d *Decoder) Torch(prefix string) []ckpt.TorchTensor {
	tr := []int{1, 0}
	v := func(vs ...*model.Variable) []*model.Variable { return vs }
	return []ckpt.TorchTensor{
		{Name: prefix + "embedding.weight", Vars: v(d.emb)},
		{Name: prefix + "lstm.weight_ih_l0", Vars: v(d.wx, d.wz), Perm: tr},
		{Name: prefix + "lstm.weight_hh_l0", Vars: v(d.u), Perm: tr},
		{Name: prefix + "lstm.bias_ih_l0", Vars: v(d.b)},
		{Name: prefix + "lstm.bias_hh_l0", AddTo: d.b},
		{Name: prefix + "init_h.weight", Vars: v(d.wh), Perm: tr},
		{Name: prefix + "init_h.bias", Vars: v(d.bh)},
		{Name: prefix + "out.weight", Vars: v(d.wo), Perm: tr},
		{Name: prefix + "out.bias", Vars: v(d.bo)},
	}
}

// Torch is the inference network as PyTorch modules under prefix: embedding, lstm = nn.LSTM(E, H_enc)
// over the sentence's tokens after <bos> (its last state), mu and logvar = nn.Linear(H_enc, d).
func (e *Encoder) Torch(prefix string) []ckpt.TorchTensor {
	tr := []int{1, 0}
	v := func(vs ...*model.Variable) []*model.Variable { return vs }
	return []ckpt.TorchTensor{
		{Name: prefix + "embedding.weight", Vars: v(e.emb)},
		{Name: prefix + "lstm.weight_ih_l0", Vars: v(e.wx), Perm: tr},
		{Name: prefix + "lstm.weight_hh_l0", Vars: v(e.u), Perm: tr},
		{Name: prefix + "lstm.bias_ih_l0", Vars: v(e.b)},
		{Name: prefix + "lstm.bias_hh_l0", AddTo: e.b},
		{Name: prefix + "mu.weight", Vars: v(e.wmu), Perm: tr},
		{Name: prefix + "mu.bias", Vars: v(e.bmu)},
		{Name: prefix + "logvar.weight", Vars: v(e.wlv), Perm: tr},
		{Name: prefix + "logvar.bias", Vars: v(e.blv)},
	}
}

// Torch is the model's tensors in PyTorch's layout: decoder., prior. (f_alpha), and encoder., bow. and
// synthesis. where the model has them.
func (m *Model) Torch() []ckpt.TorchTensor {
	out := append(m.Decoder.Torch("decoder."), m.Prior.Torch("prior.")...)
	if m.Encoder != nil {
		out = append(out, m.Encoder.Torch("encoder.")...)
	}
	if m.BoW != nil {
		out = append(out, ckpt.TorchTensor{Name: "bow.weight", Vars: []*model.Variable{m.BoW.w}, Perm: []int{1, 0}},
			ckpt.TorchTensor{Name: "bow.bias", Vars: []*model.Variable{m.BoW.b}})
	}
	if m.Synth != nil {
		out = append(out, m.Synth.Torch("synthesis.")...)
	}
	return out
}

// ExportConfig is config.json of an exported text model: the family, the vocabulary's size (the rows of
// the embedding; the words are tokenizer.json's) and the configuration under hparams.json's keys.
type ExportConfig struct {
	Family string `json:"family"`
	Vocab  int    `json:"vocab"`
	Config
}

// exportRequired are the keys an imported config.json must have: what the architecture and the chains
// need (and ebm_width with the ebm prior); the others (training settings, options left at zero) default to the presets' base values.
var exportRequired = []string{"family", "vocab", "z_dim", "prior", "embed_dim", "hidden_dim", "max_len", "k0", "s0", "k1", "s1"}

// Export writes the model as an export directory: model.safetensors, config.json, tokenizer.json.
func (r *Run) Export(req run.ExportRequest) (run.Report, error) {
	m := r.Model
	tok, err := m.Vocab.TokenizerJSON()
	if err != nil {
		return nil, err
	}
	return run.Export(req.Out, Family, r.Dir, m.Torch(), ExportConfig{Family: Family, Vocab: m.Vocab.Size(), Config: m.Config},
		map[string][]byte{TokenizerFile: tok})
}

// ImportedFrom is the export directory an imported run came from ("": trained by lebm).
func (r *Run) ImportedFrom() string { return r.Info.Imported }

// Import turns an export directory (written by lebm export, or by PyTorch code with the modules of
// examples/pytorch/lebm.py) into a run directory whose step-0 checkpoint holds the model (fresh Adam
// state, no training state), recording req.Data as its corpus.
func (Registration) Import(backend compute.Backend, req run.ImportRequest) (run.Report, error) {
	if req.Format != "" {
		return nil, fmt.Errorf("--format is for picture families; a text model reads its corpus as train.txt, valid.txt, test.txt")
	}
	m, err := ReadExport(backend, req.Dir)
	if err != nil {
		return nil, err
	}
	info := RunInfo{Data: run.AbsPath(req.Data), Imported: run.AbsPath(req.Dir)}
	if info.Data != "" { // the corpus the run will evaluate on must be readable now, not at the first eval
		if _, err := LoadCorpus(info.Data); err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
	}
	state, err := learn.FreshState(m.Core)
	if err != nil {
		return nil, err
	}
	dir, err := run.ImportInto(req.Out, func() (string, error) { return Save(req.Out, m, info, TrainState{State: state}, nil) })
	if err != nil {
		return nil, err
	}
	return &run.ImportReport{Run: req.Out, Checkpoint: dir, From: req.Dir, Model: m.String(), Data: info.Data}, nil
}

// ReadExport builds the model of an export directory: config.json (required keys, no unknown ones),
// tokenizer.json, and model.safetensors (every tensor of the configuration with PyTorch's shape, no other).
func ReadExport(backend compute.Backend, dir string) (*Model, error) {
	cfg := ExportConfig{Config: base()} // keys left out (the training settings, the omitted zero values) take the base values
	cfg.Preset = "imported"
	if err := run.ReadExportConfig(dir, &cfg, exportRequired...); err != nil {
		return nil, err
	}
	if cfg.Family != Family {
		return nil, fmt.Errorf("%s: family %q, expected %q", filepath.Join(dir, run.ConfigFile), cfg.Family, Family)
	}
	vocab, _, err := corpora.LoadTokenizer(filepath.Join(dir, TokenizerFile))
	if err != nil {
		return nil, err
	}
	if vocab.Size() != cfg.Vocab {
		return nil, fmt.Errorf("%s: vocab %d, but %s holds %d words", filepath.Join(dir, run.ConfigFile), cfg.Vocab, TokenizerFile, vocab.Size())
	}
	m, err := NewModel(backend, cfg.Config, vocab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, run.ConfigFile), err)
	}
	return m, run.ImportTensors(dir, m.Torch(), []run.Part{{Prefix: "encoder.", Setting: `"posterior_init": "encoder"`, Present: m.Encoder != nil},
		{Prefix: "bow.", Setting: `"bow_weight" above 0`, Present: m.BoW != nil}, {Prefix: "synthesis.", Setting: `"prior_init": "synthesis"`, Present: m.Synth != nil},
		{Prefix: "prior.", Setting: `"prior": "ebm"`, Present: m.Prior.Trainable()}})
}
