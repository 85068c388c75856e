package families

import (
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
)

// Standard is the registry of lebm's own families, text (the default) and image.
func Standard() *run.Registry {
	r, err := run.NewRegistry(text.Registration{}, image.Registration{})
	if err != nil {
		panic(err) // two fixed, distinct names
	}
	return r
}

// Or is reg, or Standard when reg is nil.
func Or(reg *run.Registry) *run.Registry {
	if reg == nil {
		return Standard()
	}
	return reg
}
