// Package clitest helps the command packages' tests: a tiny trained checkpoint and flag parsing.
package clitest

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// TinyRun trains a tiny model on the embedded corpus for a few iterations and returns its run directory.
func TinyRun(t *testing.T, iterations int) string {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	err := train.Run(&train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &out,
		Changed: []string{"embed", "hidden", "z", "ebm-width", "k0", "k1", "iterations", "batch", "lr-gen"},
		Config: text.Config{EmbedDim: 16, HiddenDim: 32, Config: learn.Config{ZDim: 4, EBMWidth: 16, K0: 5, K1: 5,
			Iterations: iterations, Batch: 16, LRGen: 3e-3}}})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// Execute runs cmd with args, returning its error and what it printed (usage included).
func Execute(cmd *cobra.Command, args ...string) (string, error) {
	var buf bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&buf)
	cmd.SetErr(&buf)
	err := cmd.Execute()
	return buf.String(), err
}

// TinyImageRun trains a tiny image model on the embedded shapes for a few iterations and returns its run
// directory.
func TinyImageRun(t *testing.T, iterations int) string {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	err := train.Run(&train.Options{Family: train.FamilyImage, Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &out,
		Changed: []string{"ngf", "z", "nef", "k0", "k1", "iterations", "batch"},
		Image:   train.ImageFlags{NGF: 2, NEF: 16},
		Config:  text.Config{Config: learn.Config{ZDim: 4, K0: 3, K1: 3, Iterations: iterations, Batch: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// DecodePNG reads the PNG file at path and returns its size in pixels.
func DecodePNG(t *testing.T, path string) (width, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}
