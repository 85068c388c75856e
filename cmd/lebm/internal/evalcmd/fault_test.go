//go:build unix

package evalcmd

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/sample"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/text"
)

// TestFaultHelperTrain is not a test: TestKilledManyTimes runs it in a child process, which trains (or
// resumes) the tiny run in LEBM_FAULT_RUN, saving at every iteration, until it is killed.
func TestFaultHelperTrain(t *testing.T) {
	run := os.Getenv("LEBM_FAULT_RUN")
	if run == "" {
		t.Skip("helper process")
	}
	var buf bytes.Buffer
	o := &train.Options{Out: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}
	if _, err := os.Stat(filepath.Join(run, ckpt.LatestFile)); err == nil {
		o.Resume, o.Out = run, ""
		clitest.Set(t, o, "iterations=100000")
	} else {
		clitest.Set(t, o, "embed=8 hidden=16 z=4 ebm-width=8 k0=2 k1=2 iterations=100000 batch=8 save-every=1 log-every=1")
	}
	if err := train.Run(o); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
}

// TestKilledManyTimes kills a training with SIGKILL at random moments (it saves a checkpoint at every
// iteration, so most kills land in or near a save) and resumes it, many times; after every kill "latest"
// names a complete checkpoint that loads, and at the end the log holds each step once, in order, and
// eval and sample work from the last good step.
func TestKilledManyTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dozen processes")
	}
	run := filepath.Join(t.TempDir(), "run")
	rng := rand.New(rand.NewPCG(13, 13))
	last := -1
	for kill := 0; kill < 10; kill++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFaultHelperTrain$")
		cmd.Env = append(os.Environ(), "LEBM_FAULT_RUN="+run)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for this process's first new checkpoint, then kill it at a random moment after.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, step, err := ckpt.Open(run); err == nil && step > last {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("kill %d: no new checkpoint within a minute:\n%s", kill, out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		dir, step, err := ckpt.Open(run)
		if err != nil {
			t.Fatalf("after kill %d: the run does not open: %v\n%s", kill, err, out.String())
		}
		if step < last {
			t.Fatalf("after kill %d: latest went back from step %d to %d (%s)", kill, last, step, dir)
		}
		last = step
	}
	// One more resume that finishes normally, then every reader works from the last good step.
	var buf bytes.Buffer
	r := &train.Options{Resume: run, Quiet: true, NoEval: true, Stdout: &buf, Stderr: &buf}
	clitest.Set(t, r, fmt.Sprintf("iterations=%d", last+2))
	if err := train.Run(r); err != nil {
		t.Fatalf("final resume: %v\n%s", err, buf.String())
	}
	recs, err := clix.ReadJSONLines[learn.Record](filepath.Join(run, train.LogFile))
	if err != nil || len(recs) != last+2 {
		t.Fatalf("log after %d kills: %d records (%v), want %d", 10, len(recs), err, last+2)
	}
	for i, rec := range recs {
		if rec.Step != i+1 {
			t.Fatalf("log steps after the kills: record %d is step %d", i, rec.Step)
		}
	}
	var stdout, stderr bytes.Buffer
	eo := &Options{Checkpoint: run, Split: "test", Quiet: true, Stdout: &stdout, Stderr: &stderr, PosteriorChain: clix.PosteriorChain{K1: clix.Given(2), S1: clix.Given(0.1)},
		Eval: Estimators{Estimator: learn.Estimator{Chains: 2, ImportanceSamples: 2, SigmaFloor: 0.05, RowsPerCall: 64},
			LogZSamples: 10, MaxSentences: 8, Seed: 1}}
	if err := Run(eo); err != nil || !strings.Contains(stdout.String(), "step-"+strconv.Itoa(100000000 + last + 2)[1:]) {
		t.Errorf("eval after the kills: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := sample.Run(&sample.Options{Checkpoint: run, N: 2, Seed: 1, Decode: text.DecodeOptions{Method: text.Greedy},
		Stdout: &stdout, Stderr: &stderr}); err != nil || strings.Count(stdout.String(), "\n") != 2 {
		t.Errorf("sample after the kills: %v\n%s", err, stdout.String())
	}
}
