// Package run is the product seam between the generator families and the command line: the family
// registry, the capabilities a family's models may have, and the run lifecycle every family shares.
//
//   - A Family registers once in a Registry: its name, presets and own training flags, how to start a
//     run (TrainFlags.New, TrainFlags.Resume) and how to open one of its checkpoints (Family.Open).
//   - What an opened Model can do beyond training is a set of small optional interfaces: Sampler,
//     Reconstructor, Interpolator, Evaluator, Plotter, AnomalyScorer. A command asks for the capability
//     it needs (Need) and says so when the model's family does not have it.
//   - Train is the run lifecycle: the run directory's lock, the log (cut back to the checkpoint a resumed
//     run continues from), the loop with its progress, interrupts (SIGINT, SIGTERM, SIGHUP), --max-time
//     and checkpoints, the final evaluation and the summary.
//
// The learning itself (the core a family's model is built on) is package learn; the checkpoint format is
// package ckpt. Nothing here knows a family by name.
package run
