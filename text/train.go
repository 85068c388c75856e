package text

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// TrainState is where a run is: the core's state and word dropout's generator.
type TrainState struct {
	learn.State
	DropoutRNG []byte `json:"dropout_rng,omitempty"` // word dropout's generator (absent before it existed)
}

// IterStats describes one learning iteration (a record of log.jsonl).
type IterStats struct {
	learn.Record
	GenLossPerToken float64 `json:"gen_loss_per_token"`    // -sum log p(x|z_post) / predicted tokens
	GenLossPerSent  float64 `json:"gen_loss_per_sentence"` // -mean log p(x|z_post)
	BatchLen        int     `json:"batch_len"`
}

// Trainer runs the learning iteration (learn.Trainer) over a training set of sentences.
type Trainer struct {
	*learn.Trainer
	Model *Model
	Data  *corpora.Dataset
	Log   io.Writer // JSON-lines log of IterStats every Config.LogEvery iterations (nil: none)

	dropPCG *rand.PCG // word dropout's generator
	dropRNG *rand.Rand
	batches corpora.Cursor
}

// NewTrainer starts a run (state nil) or continues one from state.
func NewTrainer(m *Model, data *corpora.Dataset, state *TrainState) (*Trainer, error) {
	if len(data.Examples) == 0 {
		return nil, fmt.Errorf("training set is empty")
	}
	if n := len(data.Examples); n < m.Config.Batch {
		return nil, fmt.Errorf("--batch %d is larger than the training set (%d sentences): choose --batch %d or less", m.Config.Batch, n, n)
	}
	t := &Trainer{Model: m, Data: data, dropPCG: rand.NewPCG(m.Config.Seed, 0xc4a3)}
	var core *learn.State
	if state != nil {
		core = &state.State
		if len(state.DropoutRNG) > 0 {
			if err := t.dropPCG.UnmarshalBinary(state.DropoutRNG); err != nil {
				return nil, fmt.Errorf("resume: bad word-dropout generator state: %w", err)
			}
		}
	}
	var err error
	if t.Trainer, err = learn.NewTrainer(m.Core, len(data.Examples), core); err != nil {
		return nil, err
	}
	t.dropRNG = rand.New(t.dropPCG)
	t.batches = corpora.Cursor{Seed: m.Config.Seed, Batch: m.Config.Batch, Epoch: t.State.Epoch, Pos: t.State.Pos}
	return t, nil
}

// Step runs one learning iteration (learn.Trainer.Step, one compiled graph) on the next batch:
//  1. prior chain: z ~ N(0, I) (or q_psi), K0 Langevin steps of size s0 on E_alpha(z)  (skipped for the
//     gaussian prior)
//  2. posterior chain: z ~ N(0, I) (or the example's persistent state, or q_phi(z|x)), K1 steps of size s1
//     on lambda E_alpha(z) - log p_beta(x|z) (lambda = 1 after the prior-weight warm-up), on the sentence
//     as it is (word dropout applies to the updates only)
//  3. generator update: Adam on -mean log p_beta(x|z_post) (gradient-norm clip)
//  4. prior update: Adam on mean f(z_prior) - mean f(z_post)
//  5. amortized networks, when present: encoder on its negative ELBO, synthesis network on KL(q_psi||p_alpha)
func (t *Trainer) Step() (IterStats, error) {
	started := time.Now()
	b := t.batches.Next(t.Data)
	lb := learn.Batch{Data: batchArgs(b), Rows: b.Rows, Size: b.Size}
	if t.Model.Config.WordDropout > 0 { // the updates see the dropped words, the posterior chain the sentence
		lb.ChainData = lb.Data
		b = dropWords(b, t.Model.Config.WordDropout, t.dropRNG)
		lb.Data = batchArgs(b)
	}
	s, err := t.Trainer.Step(lb, started)
	if err != nil {
		return IterStats{}, err
	}
	tokens := 0.0
	for _, v := range b.Mask {
		tokens += float64(v)
	}
	st := IterStats{Record: s.Record(), GenLossPerToken: -s.Stats.SumLogP / tokens, GenLossPerSent: -s.Stats.SumLogP / float64(b.Size),
		BatchLen: b.Len}
	return st, learn.WriteLog(t.Log, s.Iteration, t.Model.Config.LogEvery, st)
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

// SnapshotState returns the state to save, with the batch order's position and every generator's state.
func (t *Trainer) SnapshotState() (TrainState, error) {
	core, err := t.Snapshot(t.batches.Epoch, t.batches.Pos)
	if err != nil {
		return TrainState{}, err
	}
	s := TrainState{State: core}
	s.DropoutRNG, err = t.dropPCG.MarshalBinary()
	return s, err
}
