// Package ckpt saves and restores training checkpoints atomically.
//
// A run directory holds checkpoints as subdirectories step-NNNNNNNN/ and a file "latest" naming the
// newest complete one. A checkpoint is written into a temporary directory, every file synced, the
// directory renamed into place, and only then "latest" replaced (itself through a rename); a step saved
// again replaces its directory by an atomic exchange (see replaceDir). A process killed at any moment
// therefore leaves "latest" pointing at a complete checkpoint. manifest.json lists a SHA-256
// of every file, checked on load, so a damaged checkpoint is reported rather than used. Checkpoints whose
// variables hold NaN or Inf are refused.
//
// A run never reads or writes outside its directory: what it records is followed only where it names an
// entry inside it. "latest" must hold one step directory name as Save writes it (step-NNNNNNNN) and name
// a directory, not a symbolic link; a manifest may list only plain file names, each a regular file of the
// checkpoint directory; step-N entries that are symbolic links are no checkpoints of the run (not listed,
// resumed from nor pruned); and the lock file is not followed through a link. A path the user gives (a run
// or a step directory, through a link of theirs included) is used as given.
package ckpt
