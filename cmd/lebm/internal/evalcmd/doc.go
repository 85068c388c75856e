// Package evalcmd is `lebm eval`: NLL, PPL, MI and AU of a checkpoint on a split, each with its
// estimator settings (DESIGN.md).
package evalcmd
