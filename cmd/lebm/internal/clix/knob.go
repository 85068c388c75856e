package clix

import (
	"fmt"
	"math"
	"strconv"

	"github.com/spf13/pflag"
)

// ModelDefault is a chain setting whose default is the model's own (its K0, s0, K1 or s1, recorded in the
// checkpoint): the one rule for every command that runs a chain. Given says whether the user set it; a
// given value is used as it is or refused when the flag is parsed, never replaced (so --k1 0 means zero
// steps wherever a posterior chain runs).
//
//	steps (int):        0 or more
//	step size (float64): positive and finite in float32, the precision the model computes in
type ModelDefault[T int | float64] struct {
	Value T
	Given bool
}

// Or is the given value, or the model's when none was given.
func (m ModelDefault[T]) Or(model T) T {
	if m.Given {
		return m.Value
	}
	return model
}

// Given returns a ModelDefault set to v, as if given on the command line (for callers that are not flags:
// their Run checks it with Check).
func Given[T int | float64](v T) ModelDefault[T] { return ModelDefault[T]{Value: v, Given: true} }

// Check refuses a given value out of range (see ModelDefault), naming the flag; not given is fine.
func (m ModelDefault[T]) Check(flag string) error {
	if !m.Given {
		return nil
	}
	if err := check(m.Value); err != nil {
		return fmt.Errorf("--%s %v: %w", flag, m.Value, err)
	}
	return nil
}

// check is the range of a chain setting: steps 0 or more; a step size positive and finite in float32.
func check[T int | float64](v T) error {
	switch x := any(v).(type) {
	case int:
		if x < 0 {
			return fmt.Errorf("want a number of Langevin steps, 0 or more")
		}
	case float64:
		if f := float32(x); !(f > 0) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("want a Langevin step size positive and finite in float32 (%g to %g)", math.SmallestNonzeroFloat32, math.MaxFloat32)
		}
	}
	return nil
}

func (m *ModelDefault[T]) String() string {
	if !m.Given {
		return "model's"
	}
	return fmt.Sprint(m.Value)
}

func (m *ModelDefault[T]) Type() string {
	if _, ok := any(m.Value).(int); ok {
		return "steps"
	}
	return "size"
}

// Set parses (as pflag parses an int or a float64 flag) and checks a value (see ModelDefault).
func (m *ModelDefault[T]) Set(s string) error {
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.ParseInt(s, 0, strconv.IntSize)
		if err != nil {
			return fmt.Errorf("want a whole number of Langevin steps")
		}
		*p = int(n)
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		*p = f
	}
	if err := check(v); err != nil {
		return err
	}
	m.Value, m.Given = v, true
	return nil
}

// AddModelDefault registers --name for m on fs; usage should say which model value it defaults to.
func AddModelDefault[T int | float64](fs *pflag.FlagSet, m *ModelDefault[T], name, usage string) {
	fs.Var(m, name, usage)
	fs.Lookup(name).DefValue = "" // the usage says which model value it defaults to
}
