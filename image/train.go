package image

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/lebm/lebm/corpora"
)

// TrainState is where a run is: saved with every checkpoint so that a resumed run continues exactly.
type TrainState struct {
	Step         int    `json:"step"`
	Epoch        int    `json:"epoch"`
	Pos          int    `json:"pos"`
	PriorRNG     []byte `json:"prior_rng"`     // PCG state of the prior chain's noise
	PosteriorRNG []byte `json:"posterior_rng"` // PCG state of the posterior chain's noise
}

// Timing splits the cost of iterations into the learning iteration's parts (seconds, summed).
type Timing struct {
	PriorChain     float64 `json:"prior_chain_s"`
	PosteriorChain float64 `json:"posterior_chain_s"`
	Update         float64 `json:"update_s"`
	Iterations     int     `json:"iterations"`
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
	Timing Timing
	Log    io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)

	priorPCG, postPCG *rand.PCG
	priorRNG, postRNG *rand.Rand
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
	t := &Trainer{Model: m, Data: data, priorPCG: rand.NewPCG(c.Seed, 0xc4a1), postPCG: rand.NewPCG(c.Seed, 0xc4a2)}
	if state != nil {
		t.State = *state
		if err := t.priorPCG.UnmarshalBinary(state.PriorRNG); err != nil {
			return nil, fmt.Errorf("resume: bad prior-chain generator state: %w", err)
		}
		if err := t.postPCG.UnmarshalBinary(state.PosteriorRNG); err != nil {
			return nil, fmt.Errorf("resume: bad posterior-chain generator state: %w", err)
		}
	}
	t.priorRNG, t.postRNG = rand.New(t.priorPCG), rand.New(t.postPCG)
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
	zPrior, err := m.SamplePrior(n, cfg.K0, cfg.S0, t.priorRNG, iter)
	if err != nil {
		return IterStats{}, err
	}
	t1 := time.Now()
	zPost, err := m.InferPosterior(x, n, nil, cfg.K1, cfg.S1, t.postRNG, iter)
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
	for _, v := range []float64{st.GenLoss, st.PriorLoss, st.GenGradNorm, st.PriorGradNorm} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return st, fmt.Errorf("iteration %d: non-finite loss or gradient (generator loss %v, prior loss %v, gradient norms %v / %v); "+
				"not saving: the last checkpoint is intact", iter, st.GenLoss, st.PriorLoss, st.GenGradNorm, st.PriorGradNorm)
		}
	}
	t.State.Step = iter
	t.Timing.PriorChain += st.PriorChainS
	t.Timing.PosteriorChain += st.PosteriorChainS
	t.Timing.Update += st.UpdateS
	t.Timing.Iterations++
	if t.Log != nil && iter%cfg.LogEvery == 0 {
		rec, _ := json.Marshal(st)
		if _, err := t.Log.Write(append(rec, '\n')); err != nil {
			return st, fmt.Errorf("writing training log: %w", err)
		}
	}
	return st, nil
}

// SnapshotState returns the state to save, with the generators' current positions.
func (t *Trainer) SnapshotState() (TrainState, error) {
	s := t.State
	s.Epoch, s.Pos = t.batches.Epoch, t.batches.Pos
	var err error
	if s.PriorRNG, err = t.priorPCG.MarshalBinary(); err != nil {
		return s, err
	}
	s.PosteriorRNG, err = t.postPCG.MarshalBinary()
	return s, err
}
