package run

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
)

// Run is an opened checkpoint: its family, its directory and step, and the family's model.
type Run struct {
	Family string // the family's name, as hparams.json records it
	Dir    string // the checkpoint directory
	Step   int
	Model  Model
}

// Open opens the checkpoint at path (a run directory or a step-N directory) on backend: it verifies every
// file against its manifest once, reads the family its hparams.json names (the oldest text
// checkpoints name none: text) and lets that family rebuild the model.
func (r *Registry) Open(backend compute.Backend, path string) (*Run, error) {
	dir, step, err := ckpt.Open(path)
	if err != nil {
		return nil, err
	}
	name, err := ckpt.Family(dir)
	if err != nil {
		return nil, err
	}
	fam, ok := r.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("checkpoint %s holds a model of family %q, which this lebm does not know (families: %v)", dir, name, r.Names())
	}
	m, err := fam.Open(backend, dir)
	if err != nil {
		return nil, err
	}
	return &Run{Family: name, Dir: dir, Step: step, Model: m}, nil
}

// Need returns the run's model as capability C (Sampler, Evaluator, ...), or an error saying that models
// of its family cannot do what (a command's task, "be sampled").
func Need[C any](r *Run, what string) (C, error) {
	c, ok := r.Model.(C)
	if !ok {
		return c, fmt.Errorf("%s holds a %s model, which cannot %s (its family does not provide it)", r.Dir, r.Family, what)
	}
	return c, nil
}
