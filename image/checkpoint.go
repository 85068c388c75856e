package image

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
)

// Files of an image checkpoint, besides the variables (see internal/ckpt); hparams.json says "family": "image".
const (
	HParamsFile = ckpt.HParamsFile
	StateFile   = ckpt.StateFile
	Family      = "image"
)

// RunInfo is stored with the hyperparameters: the family and where the data came from.
type RunInfo struct {
	Family string `json:"family"` // always "image"
	Config Config `json:"config"`
	Data   string `json:"data"`   // data path (absolute; older runs: as typed), or "" for the embedded shapes
	Format string `json:"format"` // reader: embedded, mnist, cifar10, svhn or folder
	// TrainDigest is corpora.Images.Digest of the training images (absent in older runs): a resume
	// with --data checks that they are the same, moved.
	TrainDigest string `json:"train_digest,omitempty"`
	// Imported is the export directory the run's model came from (lebm import; "": trained by lebm): such
	// a run has no training state and cannot be resumed.
	Imported string `json:"imported,omitempty"`
}

// Save writes a checkpoint of the model and the trainer state into runDir atomically; extra are more files
// to store with it (Trainer.Files: the persistent chains).
func Save(runDir string, m *Model, info RunInfo, state TrainState, extra map[string][]byte) (string, error) {
	info.Family, info.Config = Family, m.Config
	return ckpt.SaveRun(runDir, state.Step, m.Ctx, info, state, extra, m.Config.Keep)
}

// Load opens an image checkpoint (a run directory or a step directory): verifies it, rebuilds the model
// from its hyperparameters and restores the variables (optimizer state included).
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
	m, err := NewModel(backend, info.Config)
	if err != nil {
		return nil, info, state, "", fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if err := ckpt.LoadVariables(dir, m.Ctx, m.Legacy()); err != nil {
		return nil, info, state, "", err
	}
	return m, info, state, dir, nil
}
