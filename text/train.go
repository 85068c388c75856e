package text

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/learn"
	"github.com/lebm/lebm/sampler"
)

// TrainState is where a run is: saved with every checkpoint so that a resumed run continues exactly.
type TrainState struct {
	Step  int `json:"step"`  // completed iterations
	Epoch int `json:"epoch"` // current epoch of the deterministic batch order
	Pos   int `json:"pos"`   // next batch within the epoch
	// PCG states of the noise generators of the prior chain and of the posterior chain. They are separate
	// streams so that, with the same seed, an EBM-prior run and its gaussian-prior ablation see the same
	// posterior-chain noise (common random numbers: their difference is the prior's, not the noise's).
	PriorRNG     []byte `json:"prior_rng"`
	PosteriorRNG []byte `json:"posterior_rng"`
	DropoutRNG   []byte `json:"dropout_rng,omitempty"` // word dropout's generator (absent before it existed)
	// Philox states of the chains' device noise (absent before the chains moved into the graph: see
	// learn.DeviceRNG). The PCG posterior stream above still draws the persistent chains' first starts.
	PriorChainRNG     []uint64 `json:"prior_chain_rng,omitempty"`
	PosteriorChainRNG []uint64 `json:"posterior_chain_rng,omitempty"`
}

// Timing splits the cost of iterations into the learning iteration's parts (the families share it).
type Timing = learn.Timing

// IterStats describes one learning iteration.
type IterStats struct {
	Step            int     `json:"step"`
	GenLossPerToken float64 `json:"gen_loss_per_token"`    // -sum log p(x|z_post) / predicted tokens
	GenLossPerSent  float64 `json:"gen_loss_per_sentence"` // -mean log p(x|z_post)
	PriorLoss       float64 `json:"prior_loss"`            // mean f(z_prior) - mean f(z_post)
	FPost           float64 `json:"f_post"`
	FPrior          float64 `json:"f_prior"`
	GenGradNorm     float64 `json:"gen_grad_norm"`
	PriorGradNorm   float64 `json:"prior_grad_norm"`
	BatchLen        int     `json:"batch_len"`
	PosteriorSteps  int     `json:"posterior_steps"`          // K1 this iteration (warm-up aware)
	PriorWeight     float64 `json:"prior_weight"`             // lambda this iteration (warm-up aware)
	Displacement    float64 `json:"posterior_displacement"`   // mean_i ||z_K - z_0|| of the posterior chains
	EncoderLoss     float64 `json:"encoder_loss,omitempty"`   // negative ELBO up to log Z, per sentence
	EncoderKL       float64 `json:"encoder_kl,omitempty"`     // mean KL(q_phi(z|x) || N(0, I))
	SynthesisLoss   float64 `json:"synthesis_loss,omitempty"` // KL(q_psi || p_alpha) up to a constant
	IterationS      float64 `json:"iteration_s"`              // the compiled iteration: both chains and every update
	HostS           float64 `json:"host_s"`                   // the batch and the statistics, on the host
}

// Trainer runs the learning iteration of DESIGN.md over a training set.
type Trainer struct {
	Model  *Model
	Data   *corpora.Dataset
	State  TrainState
	Timing Timing
	Log    io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)
	// Persist holds the persistent posterior chains (PosteriorInit = "persistent"; nil otherwise).
	Persist *Persistent

	rng               *learn.Streams  // host noise: the persistent chains' first starts
	priorDev, postDev *tensors.Tensor // the chains' device generator states
	dropPCG           *rand.PCG       // word dropout's generator
	dropRNG           *rand.Rand
	batches           corpora.Cursor
}

// NewTrainer starts a run (state nil) or continues one from state.
func NewTrainer(m *Model, data *corpora.Dataset, state *TrainState) (*Trainer, error) {
	if len(data.Examples) == 0 {
		return nil, fmt.Errorf("training set is empty")
	}
	t := &Trainer{Model: m, Data: data, dropPCG: rand.NewPCG(m.Config.Seed, 0xc4a3)}
	var prior, post []byte
	if state != nil {
		t.State, prior, post = *state, state.PriorRNG, state.PosteriorRNG
		if len(state.DropoutRNG) > 0 {
			if err := t.dropPCG.UnmarshalBinary(state.DropoutRNG); err != nil {
				return nil, fmt.Errorf("resume: bad word-dropout generator state: %w", err)
			}
		}
	}
	var err error
	if t.rng, err = learn.NewStreams(m.Config.Seed, prior, post); err != nil {
		return nil, err
	}
	var priorDev, postDev []uint64
	if state != nil {
		priorDev, postDev = state.PriorChainRNG, state.PosteriorChainRNG
	}
	if t.priorDev, err = learn.DeviceRNG(m.Config.Seed, learn.PriorDeviceStream, t.State.Step, priorDev); err != nil {
		return nil, err
	}
	if t.postDev, err = learn.DeviceRNG(m.Config.Seed, learn.PosteriorDeviceStream, t.State.Step, postDev); err != nil {
		return nil, err
	}
	t.dropRNG = rand.New(t.dropPCG)
	t.batches = corpora.Cursor{Seed: m.Config.Seed, Batch: m.Config.Batch, Epoch: t.State.Epoch, Pos: t.State.Pos}
	if m.Config.PosteriorStart() == InitPersistent {
		t.Persist = NewPersistent(len(data.Examples), m.Config.ZDim)
	}
	return t, nil
}

// RestorePersistent reads the persistent chains saved in checkpoint directory dir (a no-op when the run
// does not use them).
func (t *Trainer) RestorePersistent(dir string) error {
	if t.Persist == nil {
		return nil
	}
	path := filepath.Join(dir, PersistentFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("resume: the run uses persistent chains but %w", err)
	}
	p, err := UnmarshalPersistent(data, t.Persist.N, t.Persist.D, path)
	if err != nil {
		return err
	}
	t.Persist = p
	return nil
}

// Files are the trainer's own checkpoint files besides the state (the persistent chains).
func (t *Trainer) Files() (map[string][]byte, error) {
	if t.Persist == nil {
		return nil, nil
	}
	b, err := t.Persist.MarshalBinary()
	return map[string][]byte{PersistentFile: b}, err
}

// Step runs one learning iteration (learn.Iteration, one compiled graph):
//  1. prior chain: z ~ N(0, I) (or q_psi), K0 Langevin steps of size s0 on E_alpha(z)  (skipped for the
//     gaussian prior)
//  2. posterior chain: z ~ N(0, I) (or the example's persistent state, or q_phi(z|x)), K1 steps of size s1
//     on lambda E_alpha(z) - log p_beta(x|z) (lambda = 1 after the prior-weight warm-up)
//  3. generator update: Adam on -mean log p_beta(x|z_post) (gradient-norm clip)
//  4. prior update: Adam on mean f(z_prior) - mean f(z_post)
//  5. amortized networks, when present: encoder on its negative ELBO, synthesis network on KL(q_psi||p_alpha)
func (t *Trainer) Step() (IterStats, error) {
	m := t.Model
	cfg := m.Config
	t0 := time.Now()
	b := t.batches.Next(t.Data)
	if cfg.WordDropout > 0 {
		b = dropWords(b, cfg.WordDropout, t.dropRNG)
	}
	iter := t.State.Step + 1
	lambda, k1 := cfg.PriorWeight(iter), cfg.PosteriorSteps(iter)
	in := learn.Inputs{Data: batchArgs(b),
		PriorSteps:     sampler.Steps(StepSchedule(cfg.S0, cfg.S0End), cfg.K0, max(cfg.K0, 1)),
		PosteriorSteps: sampler.Steps(StepSchedule(cfg.S1, cfg.S1End), k1, max(cfg.posteriorGraphSteps(), 1)),
		PosteriorK:     k1, Lambda: lambda, PriorRNG: t.priorDev, PosteriorRNG: t.postDev, Iteration: iter}
	if t.Persist != nil {
		var err error
		if in.Z0, err = t.Persist.Start(b.Rows, t.rng.Posterior); err != nil {
			return IterStats{}, err
		}
	}
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
	if t.Persist != nil {
		t.Persist.Store(b.Rows, out.ZPost)
	}
	tokens := 0.0
	for _, v := range b.Mask {
		tokens += float64(v)
	}
	u := out.Stats
	st := IterStats{
		Step: iter, GenLossPerToken: -u.SumLogP / tokens, GenLossPerSent: -u.SumLogP / float64(b.Size),
		PriorLoss: u.PriorLoss, FPost: u.FPost, FPrior: u.FPrior, GenGradNorm: u.GenNorm, PriorGradNorm: u.PriorNorm,
		BatchLen: b.Len, PosteriorSteps: k1, PriorWeight: lambda, Displacement: u.Displacement,
		EncoderLoss: u.EncLoss, EncoderKL: u.EncKL, SynthesisLoss: u.SynthLoss, IterationS: t2.Sub(t1).Seconds(),
	}
	t.State.Step = iter
	st.HostS = time.Since(t2).Seconds() + t1.Sub(t0).Seconds()
	t.Timing.Add(st.IterationS, st.HostS)
	if err := learn.WriteLog(t.Log, iter, cfg.LogEvery, st); err != nil {
		return st, err
	}
	return st, nil
}

// dropWords returns a copy of b whose decoder inputs w_1 .. w_n (not <bos>, not padding) are each
// replaced by <unk> with probability p (word dropout, Bowman et al. 2016): the decoder must then take
// more of what it predicts from z. Targets and the encoder's input are unchanged.
func dropWords(b *corpora.Batch, p float64, rng *rand.Rand) *corpora.Batch {
	out := *b
	out.Inputs = append([]int32(nil), b.Inputs...)
	for r := 0; r < b.Size; r++ {
		for t := 1; t < b.Len; t++ {
			i := r*b.Len + t
			if b.Mask[i] == 0 { // input t is the word predicted at t-1; past the last word the input is padding
				break
			}
			if rng.Float64() < p {
				out.Inputs[i] = corpora.UnkID
			}
		}
	}
	return &out
}

// SnapshotState returns the state to save, with the generator's current position.
func (t *Trainer) SnapshotState() (TrainState, error) {
	s := t.State
	s.Epoch, s.Pos = t.batches.Epoch, t.batches.Pos
	var err error
	if s.PriorRNG, s.PosteriorRNG, err = t.rng.States(); err != nil {
		return s, err
	}
	s.PriorChainRNG, s.PosteriorChainRNG = learn.RNGWords(t.priorDev), learn.RNGWords(t.postDev)
	s.DropoutRNG, err = t.dropPCG.MarshalBinary()
	return s, err
}
