package learn

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/sampler"
)

// State is where a run is: saved with every checkpoint so that a resumed run continues exactly. A
// family's trainer state embeds it (JSON-inlined) and adds its own generators' states.
type State struct {
	Step  int `json:"step"`  // completed iterations
	Epoch int `json:"epoch"` // current epoch of the deterministic batch order
	Pos   int `json:"pos"`   // next batch within the epoch
	// PCG states of the host generators of the prior and the posterior stream: the chains' noise on the Go
	// backend (Core.HostNoise) and the persistent chains' first starts.
	PriorRNG     []byte `json:"prior_rng"`
	PosteriorRNG []byte `json:"posterior_rng"`
	// Philox states of the chains' noise on other backends (absent before the chains moved into the graph:
	// see DeviceRNG).
	PriorChainRNG     []uint64 `json:"prior_chain_rng,omitempty"`
	PosteriorChainRNG []uint64 `json:"posterior_chain_rng,omitempty"`
	// Elapsed is the run's wall-clock seconds up to this state, over every process that ran it (the
	// time between a process's last checkpoint and its end is not counted; absent before 2026-12-08).
	Elapsed float64 `json:"elapsed_s,omitempty"`
}

// Batch is one training batch as the core sees it.
type Batch struct {
	Data      []any // the family's graph inputs
	ChainData []any // the posterior chain's version of them (a ChainDataFamily's; nil otherwise)
	Rows      []int // the training example behind each row (persistent chains key their states by it)
	Size      int
}

// Step is what one learning iteration did: its outputs, the schedule it ran, and its cost.
type Step struct {
	Iteration      int
	Stats          Stats
	ZPost          []float32
	PosteriorSteps int     // K1 this iteration (warm-up aware)
	PriorWeight    float64 // lambda this iteration (warm-up aware)
	Seconds        float64 // the compiled iteration
	HostSeconds    float64 // the rest of the iteration, from the family's start (the batch, the chains' starts)
}

// Record is the part of a training log record (log.jsonl) every family writes; a family's record embeds
// it (JSON-inlined) and adds its generator's loss in its own units.
type Record struct {
	Step           int     `json:"step"`
	PriorLoss      float64 `json:"prior_loss"` // mean f(z_prior) - mean f(z_post)
	FPost          float64 `json:"f_post"`
	FPrior         float64 `json:"f_prior"`
	GenGradNorm    float64 `json:"gen_grad_norm"`
	PriorGradNorm  float64 `json:"prior_grad_norm"`
	PosteriorSteps int     `json:"posterior_steps"`          // K1 this iteration (warm-up aware)
	PriorWeight    float64 `json:"prior_weight"`             // lambda this iteration (warm-up aware)
	Displacement   float64 `json:"posterior_displacement"`   // mean_i ||z_K - z_0|| of the posterior chains
	EncoderLoss    float64 `json:"encoder_loss,omitempty"`   // negative ELBO up to log Z, per example
	EncoderKL      float64 `json:"encoder_kl,omitempty"`     // mean KL(q_phi(z|x) || N(0, I))
	SynthesisLoss  float64 `json:"synthesis_loss,omitempty"` // KL(q_psi || p_alpha) up to a constant
	AuxiliaryLoss  float64 `json:"auxiliary_loss,omitempty"` // the family's auxiliary loss at z_post (text: bag of words), per example
	IterationS     float64 `json:"iteration_s"`              // the compiled iteration: both chains and every update
	HostS          float64 `json:"host_s"`                   // the batch and the chains' starts, on the host
}

// Record is the step's shared log record.
func (s *Step) Record() Record {
	u := s.Stats
	return Record{Step: s.Iteration, PriorLoss: u.PriorLoss, FPost: u.FPost, FPrior: u.FPrior, GenGradNorm: u.GenNorm,
		PriorGradNorm: u.PriorNorm, PosteriorSteps: s.PosteriorSteps, PriorWeight: s.PriorWeight, Displacement: u.Displacement,
		EncoderLoss: u.EncLoss, EncoderKL: u.EncKL, SynthesisLoss: u.SynthLoss, AuxiliaryLoss: u.AuxLoss, IterationS: s.Seconds, HostS: s.HostSeconds}
}

// Trainer runs the learning iteration of DESIGN.md on the batches a family gives it, for any family: the
// chains' generator states, the warm-ups and step-size schedules, the persistent chains, the state that
// resumes a run exactly. The family's trainer owns the data, the batch order and the log.
type Trainer struct {
	Core   *Core
	State  State
	Timing Timing
	// Persist holds the persistent posterior chains (PosteriorInit = "persistent"; nil otherwise).
	Persist *Persistent

	host              *Streams
	priorDev, postDev *tensors.Tensor
	began             time.Time // when this process took the run over (Elapsed)
}

// NewTrainer starts a run over examples training examples (state nil) or continues one from state.
func NewTrainer(core *Core, examples int, state *State) (*Trainer, error) {
	t := &Trainer{Core: core, began: time.Now()}
	var prior, post []byte
	var priorDev, postDev []uint64
	if state != nil {
		t.State = *state
		prior, post, priorDev, postDev = state.PriorRNG, state.PosteriorRNG, state.PriorChainRNG, state.PosteriorChainRNG
	}
	seed := core.Config.Seed
	var err error
	if t.host, err = NewStreams(seed, prior, post); err != nil {
		return nil, err
	}
	if t.priorDev, err = DeviceRNG(seed, PriorDeviceStream, t.State.Step, priorDev); err != nil {
		return nil, err
	}
	if t.postDev, err = DeviceRNG(seed, PosteriorDeviceStream, t.State.Step, postDev); err != nil {
		return nil, err
	}
	if core.Config.PosteriorStart() == InitPersistent {
		t.Persist = NewPersistent(examples, core.Config.ZDim)
	}
	return t, nil
}

// Step runs one learning iteration on b (Iteration: one compiled graph); started is when the family began
// the iteration (making the batch), for the timing. On success the state advances; on failure (a chain's
// fault, a non-finite loss) nothing changed, the model's variables included.
func (t *Trainer) Step(b Batch, started time.Time) (*Step, error) {
	cfg := t.Core.Config
	iter := t.State.Step + 1
	lambda, k1 := cfg.PriorWeight(iter), cfg.PosteriorSteps(iter)
	in := Inputs{Data: b.Data, ChainData: b.ChainData,
		PriorStepSizes:     sampler.Steps(StepSchedule(cfg.S0, cfg.S0End), cfg.K0, max(cfg.K0, 1)),
		PosteriorStepSizes: sampler.Steps(StepSchedule(cfg.S1, cfg.S1End), k1, max(cfg.PosteriorGraphSteps(), 1)),
		PosteriorK:         k1, Lambda: lambda, PriorRNG: t.priorDev, PosteriorRNG: t.postDev, Iteration: iter}
	if t.Persist != nil {
		var err error
		if in.Z0, err = t.Persist.Start(b.Rows, t.host.Posterior); err != nil {
			return nil, err
		}
	}
	if t.Core.HostNoise {
		d := cfg.ZDim
		in.PriorNoise = sampler.StandardNormal(t.host.Prior, (1+len(in.PriorStepSizes))*b.Size*d)
		in.PosteriorNoise = sampler.StandardNormal(t.host.Posterior, (1+len(in.PosteriorStepSizes))*b.Size*d)
	}
	t0 := time.Now()
	out, err := t.Core.Iterate(in)
	if err != nil {
		return nil, err
	}
	if out.Err != nil {
		return nil, out.Err
	}
	if !t.Core.HostNoise {
		t.priorDev, t.postDev = out.PriorRNG, out.PosteriorRNG
	}
	if t.Persist != nil {
		t.Persist.Store(b.Rows, out.ZPost)
	}
	t.State.Step = iter
	st := &Step{Iteration: iter, Stats: out.Stats, ZPost: out.ZPost, PosteriorSteps: k1, PriorWeight: lambda,
		Seconds: time.Since(t0).Seconds(), HostSeconds: t0.Sub(started).Seconds()}
	t.Timing.Add(st.Seconds, st.HostSeconds)
	return st, nil
}

// Elapsed is the run's wall-clock seconds so far: its state's, plus this process's since it took over.
func (t *Trainer) Elapsed() float64 { return t.State.Elapsed + time.Since(t.began).Seconds() }

// Snapshot returns the state to save, with the batch order's position, the generators' states and the
// run's elapsed time.
func (t *Trainer) Snapshot(epoch, pos int) (State, error) {
	s := t.State
	s.Epoch, s.Pos, s.Elapsed = epoch, pos, t.Elapsed()
	var err error
	if s.PriorRNG, s.PosteriorRNG, err = t.host.States(); err != nil {
		return s, err
	}
	s.PriorChainRNG, s.PosteriorChainRNG = RNGWords(t.priorDev), RNGWords(t.postDev)
	return s, nil
}

// FreshState is the state of a run of core that has not trained: step 0 and the generators of its seed
// (what an imported model's checkpoint records).
func FreshState(core *Core) (State, error) {
	t, err := NewTrainer(core, 1, nil)
	if err != nil {
		return State{}, err
	}
	return t.Snapshot(0, 0)
}

// Files are the trainer's checkpoint files besides the state (the persistent chains).
func (t *Trainer) Files() (map[string][]byte, error) {
	if t.Persist == nil {
		return nil, nil
	}
	b, err := t.Persist.MarshalBinary()
	return map[string][]byte{PersistentFile: b}, err
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
