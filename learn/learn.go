package learn

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/sampler"
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

// Timing sums the cost of iterations (seconds): the compiled iteration (both chains and the updates, one
// graph) and the host's part (the batch, the log).
type Timing struct {
	Iteration  float64 `json:"iteration_s"`
	Host       float64 `json:"host_s"`
	Iterations int     `json:"iterations"`
}

// Add counts one iteration.
func (t *Timing) Add(iteration, host float64) {
	t.Iteration += iteration
	t.Host += host
	t.Iterations++
}

// Stream identifiers of the device generators of the chains' noise (their initial states are drawn from
// PCG(seed, stream)). As with the host streams, the prior's and the posterior's are separate so that an
// EBM-prior run and its gaussian ablation see the same posterior-chain noise.
const (
	PriorDeviceStream     = 0xc4b1
	PosteriorDeviceStream = 0xc4b2
)

// DeviceRNG is a chain's device generator state: the saved one, or (saved nil) the initial state of
// (seed, stream) offset by step. A run resumed from a checkpoint written before the chains ran in the
// compiled graph (README, Checkpoint formats) has no saved state and continues from the state of (seed, stream, step): its noise
// differs from an uninterrupted run's from there on.
func DeviceRNG(seed uint64, stream uint64, step int, saved []uint64) (*tensors.Tensor, error) {
	if saved != nil {
		t, err := sampler.RNGFromState(saved)
		if err != nil {
			return nil, fmt.Errorf("resume: bad chain generator state: %w", err)
		}
		return t, nil
	}
	return sampler.NewRNG(rand.New(rand.NewPCG(seed^uint64(step), stream))), nil
}

// RNGWords are a device generator state's words, to be checkpointed.
func RNGWords(t *tensors.Tensor) []uint64 { return tensors.MustCopyFlatData[uint64](t) }

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

// CheckResult refuses an evaluation result holding a NaN or an infinity (a diverged model's), which would
// otherwise be printed as NaN or fail as JSON: values are name, float64 pairs; what names the result.
func CheckResult(what string, values ...any) error {
	for i := 0; i+1 < len(values); i += 2 {
		if v := values[i+1].(float64); math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %s is %v: the model's parameters have diverged (or its prior has no finite normaliser); "+
				"evaluate an earlier checkpoint (a step-N directory of the run)", what, values[i], v)
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
