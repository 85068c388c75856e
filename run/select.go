package run

import (
	"path/filepath"

	"github.com/lebm/lebm/ckpt"
)

// selection keeps a run's best checkpoint by validation NLL (ckpt.BestFile) for a Selecting session.
type selection struct {
	sess   Session
	sel    Selecting // nil: the session measures nothing on validation data
	runDir string
	best   *ckpt.Best // the best so far (a resumed run's from its directory), nil before the first
}

// newSelection readies the selection of sess's run in runDir. A resumed run continues from the best it
// recorded when it selects on as many validation examples as that best was measured on; a run that
// selects nothing (no --eval-every) leaves the record alone and evaluates its last checkpoint, and one
// that selects on another number of examples starts its selection afresh (scores on different
// sentences do not compare).
func newSelection(sess Session, runDir string) (*selection, error) {
	s := &selection{sess: sess, runDir: runDir}
	if sel, ok := sess.(Selecting); ok && sel.Selects() > 0 {
		s.sel = sel
	}
	b, ok, err := ckpt.ReadBest(runDir)
	if err != nil {
		return nil, err
	}
	if ok && s.sel != nil && b.Sentences == s.sel.Selects() {
		s.best = &b
	}
	return s, nil
}

// after saves a checkpoint at iteration when the session's validation NLL there is the best so far and
// records it as the run's best; it returns the checkpoint's directory ("" when it saved none).
func (s *selection) after(iteration int) (string, error) {
	if s.sel == nil {
		return "", nil
	}
	nll, n, ok := s.sel.Validation(iteration)
	if !ok || (s.best != nil && nll >= s.best.ValidNLL) {
		return "", nil
	}
	dir, err := s.sess.Save(s.runDir)
	if err != nil {
		return "", err
	}
	b := ckpt.Best{Checkpoint: filepath.Base(dir), Step: iteration, ValidNLL: nll, Sentences: n}
	if err := ckpt.WriteBest(s.runDir, b); err != nil {
		return "", err
	}
	ckpt.Prune(s.runDir, s.sess.Trainer().Core.Config.Keep, b.Checkpoint) // the best it replaced, if no longer among the newest
	s.best = &b
	return dir, nil
}
