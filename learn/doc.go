// Package learn is the learning iteration that the generator families share: compiled as one graph
// (Iteration: both chains, every update) over a family's log p_beta(x|z), with the plumbing around it: the
// chains' generator states and their checkpointed form, the timing, the check that refuses non-finite
// losses, and the JSON-lines training log.
package learn
