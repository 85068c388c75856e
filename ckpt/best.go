package ckpt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BestFile records, beside "latest", the checkpoint of a run with the best validation score so far
// (lebm train --eval-every); `RUN/best` names that checkpoint wherever a checkpoint is expected.
const BestFile = "best.json"

// BestName is the name that stands for a run's best checkpoint in a path (RUN/best).
const BestName = "best"

// Best is a run's best checkpoint by validation NLL: its step directory (a name inside the run), its
// step and how it was measured.
type Best struct {
	Checkpoint string  `json:"checkpoint"` // step-NNNNNNNN
	Step       int     `json:"step"`
	ValidNLL   float64 `json:"valid_nll"` // nats per sentence
	Sentences  int     `json:"valid_sentences"`
}

// WriteBest records b as runDir's best checkpoint, atomically.
func WriteBest(runDir string, b Best) error {
	if !isStepName(b.Checkpoint) {
		return fmt.Errorf("best checkpoint %q: not a step directory name", b.Checkpoint)
	}
	data, _ := json.MarshalIndent(b, "", " ")
	return WriteAtomic(filepath.Join(runDir, BestFile), append(data, '\n'))
}

// ReadBest reads runDir's best checkpoint (ok false when the run has none); one that does not name a
// complete step directory of the run is an error naming the file.
func ReadBest(runDir string) (b Best, ok bool, err error) {
	path := filepath.Join(runDir, BestFile)
	data, err := readInside(path, maxLatestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return Best{}, false, nil
	}
	if err != nil {
		return Best{}, false, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return Best{}, false, fmt.Errorf("%s: not a best-checkpoint record: %w", path, err)
	}
	if !isStepName(b.Checkpoint) {
		return Best{}, false, fmt.Errorf("%s: checkpoint %s is not one of the run's step directories (step-NNNNNNNN)", path, quoteShort(b.Checkpoint))
	}
	st, err := os.Lstat(filepath.Join(runDir, b.Checkpoint, ManifestFile))
	if err != nil || !st.Mode().IsRegular() {
		return Best{}, false, fmt.Errorf("%s: names %s, which is not a complete checkpoint of the run", path, b.Checkpoint)
	}
	return b, true, nil
}

// resolveBest is the checkpoint directory RUN/best stands for when path is such a name and no file or
// directory of that name exists ("" otherwise).
func resolveBest(path string) (string, error) {
	path = filepath.Clean(path)
	if filepath.Base(path) != BestName {
		return "", nil
	}
	if _, err := os.Lstat(path); err == nil {
		return "", nil
	}
	run := filepath.Dir(path)
	b, ok, err := ReadBest(run)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("checkpoint %s: %s has no best checkpoint (%s): it is kept by lebm train --eval-every", path, run, BestFile)
	}
	return filepath.Join(run, b.Checkpoint), nil
}
