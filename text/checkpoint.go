package text

import (
	"fmt"
	"maps"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
)

// Files of a text checkpoint, besides the variables (see internal/ckpt).
const (
	HParamsFile   = ckpt.HParamsFile
	TokenizerFile = "tokenizer.json"
	StateFile     = ckpt.StateFile
)

// Family names the text family in checkpoints (hparams.json "family").
const Family = ckpt.FamilyText

// RunInfo is stored with the hyperparameters: the family and where the data came from.
type RunInfo struct {
	Family string `json:"family"` // "text" (absent in the oldest checkpoints: README, Checkpoint formats)
	Config Config `json:"config"`
	Data   string `json:"data"` // corpus directory (absolute; older runs: as typed), or "" for the embedded corpus
	// TrainDigest is corpora.Digest of the training split (absent in older runs): a resume with
	// --data checks that it is the same corpus, moved.
	TrainDigest string `json:"train_digest,omitempty"`
	// Imported is the export directory the run's model came from (lebm import; "": trained by lebm): such
	// a run has no training state and cannot be resumed.
	Imported string `json:"imported,omitempty"`
}

// Save writes a checkpoint of the model and the trainer state into runDir atomically; extra are more files
// to store with it (Trainer.Files: the persistent chains).
func Save(runDir string, m *Model, info RunInfo, state TrainState, extra map[string][]byte) (string, error) {
	info.Family, info.Config = Family, m.Config
	tok, err := m.Vocab.TokenizerJSON()
	if err != nil {
		return "", err
	}
	files := map[string][]byte{TokenizerFile: tok}
	maps.Copy(files, extra)
	return ckpt.SaveRun(runDir, state.Step, m.Ctx, info, state, files, m.Config.Keep)
}

// Load opens a checkpoint (a run directory or a step directory): verifies it, rebuilds the model from its
// hyperparameters and tokenizer.json, and restores the variables (optimizer state included).
func Load(backend compute.Backend, path string) (*Model, RunInfo, TrainState, string, error) {
	dir, _, err := ckpt.Open(path)
	if err != nil {
		return nil, RunInfo{}, TrainState{}, "", err
	}
	return LoadVerified(backend, dir)
}

// LoadVerified is Load of a checkpoint directory that ckpt.Open has verified.
func LoadVerified(backend compute.Backend, dir string) (*Model, RunInfo, TrainState, string, error) {
	var info RunInfo
	var state TrainState
	if err := ckpt.ReadRun(dir, &info, &state); err != nil {
		return nil, info, state, "", err
	}
	if err := ckpt.CheckFamily(dir, info.Family, Family); err != nil {
		return nil, info, state, "", err
	}
	vocab, _, err := corpora.LoadTokenizer(filepath.Join(dir, TokenizerFile))
	if err != nil {
		return nil, info, state, "", err
	}
	m, err := NewModel(backend, info.Config, vocab)
	if err != nil {
		return nil, info, state, "", fmt.Errorf("checkpoint %s: %s: %w", dir, HParamsFile, err)
	}
	if err := ckpt.LoadVariables(dir, m.Ctx, m.Legacy()); err != nil {
		return nil, info, state, "", err
	}
	return m, info, state, dir, nil
}
