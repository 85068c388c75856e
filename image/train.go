package image

import (
	"fmt"
	"io"
	"time"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// TrainState is where a run is (the core's state: images have no generator of their own).
type TrainState = learn.State

// IterStats describes one learning iteration (a record of log.jsonl).
type IterStats struct {
	learn.Record
	GenLoss float64 `json:"gen_loss"` // mean ||x - g(z_post)||^2 / (2 sigma^2)
	MSE     float64 `json:"mse"`      // the same as a per-pixel mean squared error ([-1, 1] scale)
}

// Trainer runs the learning iteration (learn.Trainer) over a set of images.
type Trainer struct {
	*learn.Trainer
	Model *Model
	Data  *corpora.Images
	Log   io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)

	batches corpora.ImageCursor
}

// NewTrainer starts a run (state nil) or continues one from state.
func NewTrainer(m *Model, data *corpora.Images, state *TrainState) (*Trainer, error) {
	c := m.Config
	if data.H != c.Height || data.W != c.Width || data.C != c.Channels {
		return nil, fmt.Errorf("%s: images are %dx%dx%d, the model makes %dx%dx%d", data.Name, data.H, data.W, data.C, c.Height, c.Width, c.Channels)
	}
	if data.N() < c.Batch {
		return nil, fmt.Errorf("%s: %d training images, fewer than one batch of %d", data.Name, data.N(), c.Batch)
	}
	t := &Trainer{Model: m, Data: data}
	var err error
	if t.Trainer, err = learn.NewTrainer(m.Core, data.N(), state); err != nil {
		return nil, err
	}
	t.batches = corpora.ImageCursor{Seed: c.Seed, Batch: c.Batch, Epoch: t.State.Epoch, Pos: t.State.Pos}
	return t, nil
}

// Step runs one learning iteration (learn.Trainer.Step, one compiled graph) on the next batch:
//  1. prior chain: z ~ N(0, I) (or q_psi), K0 Langevin steps of size s0 on E_alpha(z) (skipped for the
//     gaussian prior)
//  2. posterior chain: z ~ N(0, I) (or the image's persistent state), K1 steps of size s1 on
//     lambda E_alpha(z) + ||x - g(z)||^2 / (2 sigma^2)
//  3. generator update: Adam on mean ||x - g(z_post)||^2 / (2 sigma^2)
//  4. prior update: Adam on mean f(z_prior) - mean f(z_post)
func (t *Trainer) Step() (IterStats, error) {
	started := time.Now()
	m := t.Model
	idx := t.batches.Next(t.Data.N())
	n := len(idx)
	s, err := t.Trainer.Step(learn.Batch{Data: []any{m.images(t.Data.Float(idx), n)}, Rows: idx, Size: n}, started)
	if err != nil {
		return IterStats{}, err
	}
	cfg := m.Config
	genLoss := -s.Stats.SumLogP / float64(n)
	st := IterStats{Record: s.Record(), GenLoss: genLoss, MSE: genLoss * 2 * cfg.Sigma * cfg.Sigma / float64(cfg.Pixels())}
	return st, learn.WriteLog(t.Log, s.Iteration, cfg.LogEvery, st)
}

// SnapshotState returns the state to save, with the batch order's position and the generators' states.
func (t *Trainer) SnapshotState() (TrainState, error) {
	return t.Snapshot(t.batches.Epoch, t.batches.Pos)
}
