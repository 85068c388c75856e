// Package learn holds the plumbing of the learning iteration that the generator families share (text/
// and image/ each drive the prior chain, the posterior chain and the updates through prior/ and sampler/):
// the chains' noise streams and their checkpointed states, the timing of an iteration's parts, the check
// that refuses non-finite losses, and the JSON-lines training log.
package learn

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// Stream identifiers of the chains' noise generators (PCG(seed, stream)).
const (
	PriorStream     = 0xc4a1
	PosteriorStream = 0xc4a2
)

// Streams are the noise generators of the prior chain and of the posterior chain. They are separate
// streams so that, with the same seed, an EBM-prior run and its gaussian-prior ablation see the same
// posterior-chain noise (common random numbers: their difference is the prior's, not the noise's).
type Streams struct {
	Prior, Posterior       *rand.Rand
	priorPCG, posteriorPCG *rand.PCG
}

// NewStreams starts the streams of seed, or restores them from checkpointed states (both nil: fresh).
func NewStreams(seed uint64, priorState, posteriorState []byte) (*Streams, error) {
	s := &Streams{priorPCG: rand.NewPCG(seed, PriorStream), posteriorPCG: rand.NewPCG(seed, PosteriorStream)}
	if priorState != nil || posteriorState != nil {
		if err := s.priorPCG.UnmarshalBinary(priorState); err != nil {
			return nil, fmt.Errorf("resume: bad prior-chain generator state: %w", err)
		}
		if err := s.posteriorPCG.UnmarshalBinary(posteriorState); err != nil {
			return nil, fmt.Errorf("resume: bad posterior-chain generator state: %w", err)
		}
	}
	s.Prior, s.Posterior = rand.New(s.priorPCG), rand.New(s.posteriorPCG)
	return s, nil
}

// States returns the generators' states, to be checkpointed.
func (s *Streams) States() (prior, posterior []byte, err error) {
	if prior, err = s.priorPCG.MarshalBinary(); err != nil {
		return nil, nil, err
	}
	posterior, err = s.posteriorPCG.MarshalBinary()
	return prior, posterior, err
}

// Timing splits the cost of iterations into the learning iteration's parts (seconds, summed).
type Timing struct {
	PriorChain     float64 `json:"prior_chain_s"`
	PosteriorChain float64 `json:"posterior_chain_s"`
	Update         float64 `json:"update_s"`
	Iterations     int     `json:"iterations"`
}

// Add counts one iteration's parts.
func (t *Timing) Add(prior, posterior, update float64) {
	t.PriorChain += prior
	t.PosteriorChain += posterior
	t.Update += update
	t.Iterations++
}

// CheckFinite refuses an iteration whose losses or gradient norms are NaN, infinite or beyond 1e30:
// values are named pairs (name, value). The error says the last checkpoint is intact, since the caller
// saves nothing after it.
func CheckFinite(iteration int, values ...any) error {
	for i := 0; i+1 < len(values); i += 2 {
		v := values[i+1].(float64)
		if math.IsNaN(v) || math.Abs(v) > 1e30 {
			desc := ""
			for j := 0; j+1 < len(values); j += 2 {
				desc += fmt.Sprintf("%s %v, ", values[j], values[j+1])
			}
			return fmt.Errorf("iteration %d: non-finite loss or gradient (%s); not saving: the last checkpoint is intact",
				iteration, desc[:len(desc)-2])
		}
	}
	return nil
}

// WriteLog appends rec to w as one JSON line when iteration is a multiple of every (w nil: no log).
func WriteLog(w io.Writer, iteration, every int, rec any) error {
	if w == nil || iteration%every != 0 {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing training log: %w", err)
	}
	return nil
}
