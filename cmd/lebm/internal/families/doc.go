// Package families is the one place in the command line that registers the generator families: the
// registry cmd/lebm gives its commands (a command given none uses it). Commands dispatch on what a model
// can do (run's capabilities), not on its family; the exceptions are named where they are: lm, sweep and
// reproduce are text commands by purpose, and eval declares the flags of the image evaluation (--images,
// --inception, --fid-*), which run.EvalRequest carries.
package families
