//go:build !unix

package ckpt

import "os"

// lockFile: no advisory locks here; run directories are not protected against two writers.
func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) error { return nil }
