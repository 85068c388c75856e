// Package ckpt saves and restores training checkpoints atomically.
//
// A run directory holds checkpoints as subdirectories step-NNNNNNNN/ and a file "latest" naming the
// newest complete one. A checkpoint is written into a temporary directory, every file synced, the
// directory renamed into place, and only then "latest" replaced (itself through a rename); a step saved
// again replaces its directory by an atomic exchange (see replaceDir). A process killed at any moment
// therefore leaves "latest" pointing at a complete checkpoint. manifest.json lists a SHA-256
// of every file, checked on load, so a damaged checkpoint is reported rather than used. Checkpoints whose
// variables hold NaN or Inf are refused.
package ckpt
