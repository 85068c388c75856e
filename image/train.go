package image

import (
	"fmt"
	"io"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/sampler"
)

// TrainState is where a run is: saved with every checkpoint so that a resumed run continues exactly.
type TrainState struct {
	Step         int    `json:"step"`
	Epoch        int    `json:"epoch"`
	Pos          int    `json:"pos"`
	PriorRNG     []byte `json:"prior_rng"`     // PCG state of the prior chain's noise
	PosteriorRNG []byte `json:"posterior_rng"` // PCG state of the posterior chain's noise (before 2026-12-01)
	// Philox states of the chains' device noise (absent before the chains moved into the graph: see
	// learn.DeviceRNG).
	PriorChainRNG     []uint64 `json:"prior_chain_rng,omitempty"`
	PosteriorChainRNG []uint64 `json:"posterior_chain_rng,omitempty"`
}

// IterStats describes one learning iteration.
type IterStats struct {
	Step          int     `json:"step"`
	GenLoss       float64 `json:"gen_loss"` // mean ||x - g(z_post)||^2 / (2 sigma^2)
	MSE           float64 `json:"mse"`      // the same as a per-pixel mean squared error ([-1, 1] scale)
	PriorLoss     float64 `json:"prior_loss"`
	FPost         float64 `json:"f_post"`
	FPrior        float64 `json:"f_prior"`
	GenGradNorm   float64 `json:"gen_grad_norm"`
	PriorGradNorm float64 `json:"prior_grad_norm"`
	IterationS    float64 `json:"iteration_s"` // the compiled iteration: both chains and both updates
	HostS         float64 `json:"host_s"`      // the batch and the statistics, on the host
}

// Trainer runs the learning iteration of DESIGN.md over a set of images.
type Trainer struct {
	Model  *Model
	Data   *corpora.Images
	State  TrainState
	Timing learn.Timing
	Log    io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)

	priorDev, postDev *tensors.Tensor // the chains' device generator states
	batches           corpora.ImageCursor
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
	var prior, post []uint64
	if state != nil {
		t.State, prior, post = *state, state.PriorChainRNG, state.PosteriorChainRNG
	}
	var err error
	if t.priorDev, err = learn.DeviceRNG(c.Seed, learn.PriorDeviceStream, t.State.Step, prior); err != nil {
		return nil, err
	}
	if t.postDev, err = learn.DeviceRNG(c.Seed, learn.PosteriorDeviceStream, t.State.Step, post); err != nil {
		return nil, err
	}
	t.batches = corpora.ImageCursor{Seed: c.Seed, Batch: c.Batch, Epoch: t.State.Epoch, Pos: t.State.Pos}
	return t, nil
}

// Step runs one learning iteration (learn.Iteration, one compiled graph):
//  1. prior chain: z ~ N(0, I), K0 Langevin steps of size s0 on E_alpha(z) (skipped for the gaussian prior)
//  2. posterior chain: z ~ N(0, I), K1 steps of size s1 on E_alpha(z) + ||x - g(z)||^2 / (2 sigma^2)
//  3. generator update: Adam on mean ||x - g(z_post)||^2 / (2 sigma^2)
//  4. prior update: Adam on mean f(z_prior) - mean f(z_post)
func (t *Trainer) Step() (IterStats, error) {
	m := t.Model
	cfg := m.Config
	t0 := time.Now()
	idx := t.batches.Next(t.Data.N())
	n := len(idx)
	iter := t.State.Step + 1
	in := learn.Inputs{Data: []any{m.images(t.Data.Float(idx), n)},
		PriorSteps:     sampler.Steps(sampler.Constant(cfg.S0), cfg.K0, max(cfg.K0, 1)),
		PosteriorSteps: sampler.Steps(sampler.Constant(cfg.S1), cfg.K1, max(cfg.K1, 1)),
		PosteriorK:     cfg.K1, Lambda: 1, PriorRNG: t.priorDev, PosteriorRNG: t.postDev, Iteration: iter}
	t1 := time.Now()
	out, err := m.iteration.Run(in)
	if err != nil {
		return IterStats{}, err
	}
	t2 := time.Now()
	if out.Err != nil {
		return IterStats{}, out.Err
	}
	t.priorDev, t.postDev = out.PriorRNG, out.PosteriorRNG
	u := out.Stats
	genLoss := -u.SumLogP / float64(n)
	st := IterStats{Step: iter, GenLoss: genLoss, MSE: genLoss * 2 * cfg.Sigma * cfg.Sigma / float64(cfg.Pixels()),
		PriorLoss: u.PriorLoss, FPost: u.FPost, FPrior: u.FPrior, GenGradNorm: u.GenNorm, PriorGradNorm: u.PriorNorm,
		IterationS: t2.Sub(t1).Seconds()}
	t.State.Step = iter
	st.HostS = time.Since(t2).Seconds() + t1.Sub(t0).Seconds()
	t.Timing.Add(st.IterationS, st.HostS)
	if err := learn.WriteLog(t.Log, iter, cfg.LogEvery, st); err != nil {
		return st, err
	}
	return st, nil
}

// SnapshotState returns the state to save, with the generators' current positions.
func (t *Trainer) SnapshotState() (TrainState, error) {
	s := t.State
	s.Epoch, s.Pos = t.batches.Epoch, t.batches.Pos
	s.PriorChainRNG, s.PosteriorChainRNG = learn.RNGWords(t.priorDev), learn.RNGWords(t.postDev)
	return s, nil
}
