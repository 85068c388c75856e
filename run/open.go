// Package runs opens any checkpoint, whatever its generator family: the one place that knows the
// families by name. A checkpoint is verified once (every file against its manifest), its hparams.json
// says its family (text checkpoints written before 2026-12-01 say none: text), and the family's loader
// rebuilds the model from it.
package run

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/text"
)

// Run is an opened checkpoint: its family, its directory and step, and the family's model with its run
// information and trainer state (the other family's fields are nil).
type Run struct {
	Family string // text.Family or image.Family
	Dir    string // the checkpoint directory
	Step   int

	Text      *text.Model
	TextInfo  text.RunInfo
	TextState text.TrainState

	Image      *image.Model
	ImageInfo  image.RunInfo
	ImageState image.TrainState
}

// Families are the generator families a checkpoint may hold.
var Families = []string{text.Family, image.Family}

// Open opens the checkpoint at path (a run directory or a step-N directory) on backend.
func Open(backend compute.Backend, path string) (*Run, error) {
	dir, step, err := ckpt.Open(path)
	if err != nil {
		return nil, err
	}
	fam, err := ckpt.Family(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Family: fam, Dir: dir, Step: step}
	switch fam {
	case text.Family:
		r.Text, r.TextInfo, r.TextState, _, err = text.LoadVerified(backend, dir)
	case image.Family:
		r.Image, r.ImageInfo, r.ImageState, _, err = image.LoadVerified(backend, dir)
	default:
		return nil, fmt.Errorf("checkpoint %s holds a model of family %q, which this lebm does not know (families: %v)", dir, fam, Families)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}
