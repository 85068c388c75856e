package image

import (
	"fmt"
	"io"
	"time"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/learn"
)

// TrainState is where a run is: saved with every checkpoint so that a resumed run continues exactly.
type TrainState struct {
	Step         int    `json:"step"`
	Epoch        int    `json:"epoch"`
	Pos          int    `json:"pos"`
	PriorRNG     []byte `json:"prior_rng"`     // PCG state of the prior chain's noise
	PosteriorRNG []byte `json:"posterior_rng"` // PCG state of the posterior chain's noise
}

// IterStats describes one learning iteration.
type IterStats struct {
	Step            int     `json:"step"`
	GenLoss         float64 `json:"gen_loss"` // mean ||x - g(z_post)||^2 / (2 sigma^2)
	MSE             float64 `json:"mse"`      // the same as a per-pixel mean squared error ([-1, 1] scale)
	PriorLoss       float64 `json:"prior_loss"`
	FPost           float64 `json:"f_post"`
	FPrior          float64 `json:"f_prior"`
	GenGradNorm     float64 `json:"gen_grad_norm"`
	PriorGradNorm   float64 `json:"prior_grad_norm"`
	PriorChainS     float64 `json:"prior_chain_s"`
	PosteriorChainS float64 `json:"posterior_chain_s"`
	UpdateS         float64 `json:"update_s"`
}

// Trainer runs the learning iteration of DESIGN.md over a set of images.
type Trainer struct {
	Model  *Model
	Data   *corpora.Images
	State  TrainState
	Timing learn.Timing
	Log    io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)

	rng     *learn.Streams
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
	var prior, post []byte
	if state != nil {
		t.State, prior, post = *state, state.PriorRNG, state.PosteriorRNG
	}
	var err error
	if t.rng, err = learn.NewStreams(c.Seed, prior, post); err != nil {
		return nil, err
	}
	t.batches = corpora.ImageCursor{Seed: c.Seed, Batch: c.Batch, Epoch: t.State.Epoch, Pos: t.State.Pos}
	return t, nil
}

// Step runs one learning iteration:
//  1. prior chain: z ~ N(0, I), K0 Langevin steps of size s0 on E_alpha(z) (skipped for the gaussian prior)
//  2. posterior chain: z ~ N(0, I), K1 steps of size s1 on E_alpha(z) + ||x - g(z)||^2 / (2 sigma^2)
//  3. generator update: Adam on mean ||x - g(z_post)||^2 / (2 sigma^2)
//  4. prior update: Adam on mean f(z_prior) - mean f(z_post)
func (t *Trainer) Step() (IterStats, error) {
	m := t.Model
	cfg := m.Config
	idx := t.batches.Next(t.Data.N())
	x := t.Data.Float(idx)
	n := len(idx)
	iter := t.State.Step + 1
	t0 := time.Now()
	zPrior, err := m.SamplePrior(n, cfg.K0, cfg.S0, t.rng.Prior, iter)
	if err != nil {
		return IterStats{}, err
	}
	t1 := time.Now()
	zPost, err := m.InferPosterior(x, n, nil, cfg.K1, cfg.S1, t.rng.Posterior, iter)
	if err != nil {
		return IterStats{}, err
	}
	t2 := time.Now()
	u, err := m.Update(x, n, zPost, zPrior)
	if err != nil {
		return IterStats{}, err
	}
	t3 := time.Now()
	st := IterStats{Step: iter, GenLoss: u.GenLoss, MSE: u.GenLoss * 2 * cfg.Sigma * cfg.Sigma / float64(cfg.Pixels()),
		PriorLoss: u.PriorLoss, FPost: u.FPost, FPrior: u.FPrior, GenGradNorm: u.GenNorm, PriorGradNorm: u.PriorNorm,
		PriorChainS: t1.Sub(t0).Seconds(), PosteriorChainS: t2.Sub(t1).Seconds(), UpdateS: t3.Sub(t2).Seconds()}
	if err := learn.CheckFinite(iter, "generator loss", st.GenLoss, "prior loss", st.PriorLoss,
		"generator gradient norm", st.GenGradNorm, "prior gradient norm", st.PriorGradNorm); err != nil {
		return st, err
	}
	t.State.Step = iter
	t.Timing.Add(st.PriorChainS, st.PosteriorChainS, st.UpdateS)
	if err := learn.WriteLog(t.Log, iter, cfg.LogEvery, st); err != nil {
		return st, err
	}
	return st, nil
}

// SnapshotState returns the state to save, with the generators' current positions.
func (t *Trainer) SnapshotState() (TrainState, error) {
	s := t.State
	s.Epoch, s.Pos = t.batches.Epoch, t.batches.Pos
	var err error
	s.PriorRNG, s.PosteriorRNG, err = t.rng.States()
	return s, err
}
