package clix

import (
	"fmt"
	"math"
	"strconv"

	"github.com/spf13/pflag"
)

// ModelDefault is a setting whose default is the model's own (recorded in the checkpoint: a chain's K0,
// s0, K1 or s1, the model's training iterations, the class it held out): the one rule for every such
// flag. Given says whether the user set it; a given value is used as it is or refused when the flag is
// parsed, never replaced (so --k1 0 means zero steps wherever a posterior chain runs). Its range:
//
//	int:     Min or more, What naming the values (zero: Langevin steps, 0 or more)
//	float64: a step size, positive and finite in float32, the precision the model computes in
type ModelDefault[T int | float64] struct {
	Value T
	Given bool
	Min   int
	What  string
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
	if err := m.check(m.Value); err != nil {
		return fmt.Errorf("--%s %v: %w", flag, m.Value, err)
	}
	return nil
}

// check refuses v out of m's range (see ModelDefault).
func (m ModelDefault[T]) check(v T) error {
	switch x := any(v).(type) {
	case int:
		what := m.What
		if what == "" {
			what = "a number of Langevin steps"
		}
		if x < m.Min {
			return fmt.Errorf("want %s, %d or more", what, m.Min)
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
	switch _, isInt := any(m.Value).(int); {
	case isInt && m.What != "":
		return "int"
	case isInt:
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
			return fmt.Errorf("want a whole number")
		}
		*p = int(n)
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		*p = f
	}
	if err := m.check(v); err != nil {
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
