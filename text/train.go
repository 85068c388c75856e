package text

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

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
	PriorChainS     float64 `json:"prior_chain_s"`
	PosteriorChainS float64 `json:"posterior_chain_s"`
	UpdateS         float64 `json:"update_s"`
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

	rng     *learn.Streams // the chains' noise
	dropPCG *rand.PCG      // word dropout's generator
	dropRNG *rand.Rand
	batches corpora.Cursor
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

// Step runs one learning iteration:
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
	b := t.batches.Next(t.Data)
	if cfg.WordDropout > 0 {
		b = dropWords(b, cfg.WordDropout, t.dropRNG)
	}
	iter := t.State.Step + 1
	lambda, k1 := cfg.PriorWeight(iter), cfg.PosteriorSteps(iter)
	t0 := time.Now()
	zPrior, synthEps, err := m.samplePrior(b.Size, cfg.K0, cfg.S0, t.rng.Prior, iter)
	if err != nil {
		return IterStats{}, err
	}
	t1 := time.Now()
	var z0, encEps []float32
	switch cfg.PosteriorStart() {
	case InitPersistent:
		if z0, err = t.Persist.Start(b.Rows, t.rng.Posterior); err != nil {
			return IterStats{}, err
		}
	case InitEncoder:
		encEps = sampler.StandardNormal(t.rng.Posterior, b.Size*cfg.ZDim)
		if z0, _, _, err = m.EncodeStart(b, encEps); err != nil {
			return IterStats{}, err
		}
	default:
		z0 = sampler.StandardNormal(t.rng.Posterior, b.Size*cfg.ZDim)
	}
	zPost, err := m.InferPosterior(b, z0, k1, cfg.S1, lambda, t.rng.Posterior, iter)
	if err != nil {
		return IterStats{}, err
	}
	if t.Persist != nil {
		t.Persist.Store(b.Rows, zPost)
	}
	t2 := time.Now()
	u, err := m.Update(b, zPost, zPrior, Amortized{EncEps: encEps, Lambda: lambda, SynthEps: synthEps})
	if err != nil {
		return IterStats{}, err
	}
	t3 := time.Now()
	tokens := 0.0
	for _, v := range b.Mask {
		tokens += float64(v)
	}
	st := IterStats{
		Step: iter, GenLossPerToken: -u.SumLogP / tokens, GenLossPerSent: -u.SumLogP / float64(b.Size),
		PriorLoss: u.PriorLoss, FPost: u.FPost, FPrior: u.FPrior, GenGradNorm: u.GenNorm, PriorGradNorm: u.PriorNorm,
		BatchLen: b.Len, PosteriorSteps: k1, PriorWeight: lambda, Displacement: meanDistance(zPost, z0, cfg.ZDim),
		EncoderLoss: u.EncLoss, EncoderKL: u.EncKL, SynthesisLoss: u.SynthLoss, PriorChainS: t1.Sub(t0).Seconds(), PosteriorChainS: t2.Sub(t1).Seconds(), UpdateS: t3.Sub(t2).Seconds(),
	}
	if err := learn.CheckFinite(iter, "generator loss", st.GenLossPerToken, "prior loss", st.PriorLoss, "generator gradient norm", st.GenGradNorm,
		"prior gradient norm", st.PriorGradNorm, "encoder loss", st.EncoderLoss, "synthesis loss", st.SynthesisLoss); err != nil {
		return st, err
	}
	t.State.Step = iter
	t.Timing.Add(st.PriorChainS, st.PosteriorChainS, st.UpdateS)
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

// meanDistance is mean_i ||a_i - b_i|| over the rows of a, b (flat [N*d]).
func meanDistance(a, b []float32, d int) float64 {
	n := len(a) / d
	var total float64
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < d; j++ {
			v := float64(a[i*d+j] - b[i*d+j])
			s += v * v
		}
		total += math.Sqrt(s)
	}
	return total / float64(n)
}

// SnapshotState returns the state to save, with the generator's current position.
func (t *Trainer) SnapshotState() (TrainState, error) {
	s := t.State
	s.Epoch, s.Pos = t.batches.Epoch, t.batches.Pos
	var err error
	if s.PriorRNG, s.PosteriorRNG, err = t.rng.States(); err != nil {
		return s, err
	}
	s.DropoutRNG, err = t.dropPCG.MarshalBinary()
	return s, err
}
