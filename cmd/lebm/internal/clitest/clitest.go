package clitest

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// TinyRun trains a tiny model on the embedded corpus for a few iterations and returns its run directory.
func TinyRun(t *testing.T, iterations int) string {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	opts := &train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &out}
	Set(t, opts, "embed=16 hidden=32 z=4 ebm-width=16 k0=5 k1=5 batch=16 lr-gen=3e-3 iterations="+fmt.Sprint(iterations))
	if err := train.Run(opts); err != nil {
		t.Fatal(err)
	}
	return run
}

// Set sets hyperparameter flags of opts, given as "name=value" separated by spaces, as the command line would.
func Set(t testing.TB, opts *train.Options, flags string) {
	t.Helper()
	for _, f := range strings.Fields(flags) {
		name, value, _ := strings.Cut(f, "=")
		if err := opts.Set(name, value); err != nil {
			t.Fatal(err)
		}
	}
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
	opts := &train.Options{Family: "image", Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &out}
	Set(t, opts, "ngf=2 ebm-width=16 z=4 k0=3 k1=3 batch=10 iterations="+fmt.Sprint(iterations))
	if err := train.Run(opts); err != nil {
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

// WriteCorpus writes the embedded corpus's splits as a corpus directory (what --data names): their first
// n sentences each (0: all) and returns it.
func WriteCorpus(t testing.TB, n int) string {
	t.Helper()
	c, err := text.LoadCorpus("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, sents := range map[string][][]string{"train": c.Train, "valid": c.Valid, "test": c.Test} {
		if n > 0 {
			sents = sents[:min(n, len(sents))]
		}
		var b strings.Builder
		for _, s := range sents {
			b.WriteString(strings.Join(s, " ") + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
