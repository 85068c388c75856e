package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/cli"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// TestResumesEarlierReleasesRuns: run directories written by earlier releases (text on GoMLX v0.26.0 and
// v0.28.2, images on v0.26.0; the families' legacy tests say how each was made) resume through
// `lebm train --resume`, the run lifecycle every run goes through: the run trains from its step 2 to step 4,
// its variables change, its log gains the two steps, and `latest` names the new checkpoint.
func TestResumesEarlierReleasesRuns(t *testing.T) {
	for _, fixture := range []string{"text/testdata/v026run", "text/testdata/v0282run", "image/testdata/v026run"} {
		t.Run(fixture, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", fixture))); err != nil {
				t.Fatal(err)
			}
			if _, err := lebm(t, cli.Standard(), "train", "--resume", dir, "--iterations", "4", "--log-every", "1", "--no-eval", "--quiet"); err != nil {
				t.Fatal(err)
			}
			if got := ckpt.NewestStep(dir); filepath.Base(got) != "step-00000004" {
				t.Fatalf("newest checkpoint %s, want step-00000004", got)
			}
			before, err := os.ReadFile(filepath.Join(dir, "step-00000002", ckpt.VariablesFile))
			if err != nil {
				t.Fatal(err)
			}
			after, err := os.ReadFile(filepath.Join(dir, "step-00000004", ckpt.VariablesFile))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(before, after) {
				t.Error("two resumed steps left the variables unchanged")
			}
			log, err := run.ReadJSONLines[learn.Record](filepath.Join(dir, run.LogFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(log) != 2 || log[0].Step != 3 || log[1].Step != 4 {
				t.Fatalf("log of the resumed steps: %+v", log)
			}
		})
	}
}
