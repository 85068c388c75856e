//go:build unix

package run

import (
	"bytes"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestHangupSavesAndExitsNonZero: SIGHUP (a closed terminal, an ended ssh session) stops training like
// Ctrl-C: the checkpoint is saved, the summary says interrupted, and the command's error carries the
// conventional exit status 128 + 1.
func TestHangupSavesAndExitsNonZero(t *testing.T) {
	out := t.TempDir()
	saved := 0
	// Delivery is asynchronous, and under load (CI runs packages side by side) a fixed pause was not always
	// enough: wait until the signal has reached a channel of the test's own. Go hands a signal to every
	// channel registered for it in one pass, so the loop's channel has it by then, or a moment later.
	delivered := make(chan os.Signal, 1)
	signal.Notify(delivered, syscall.SIGHUP)
	defer signal.Stop(delivered)
	l := loop{
		step: func() (int, string, error) {
			saved++ // iterations run
			if saved == 2 {
				if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				select {
				case <-delivered:
					time.Sleep(10 * time.Millisecond)
				case <-time.After(30 * time.Second):
					t.Fatal("SIGHUP not delivered within 30 s")
				}
			}
			return saved, "", nil
		},
		save:       func() (string, error) { return filepath.Join(out, "step"), nil },
		iterations: 1000, saveEvery: 500,
	}
	res, err := l.run(UI{Stderr: &bytes.Buffer{}, Quiet: true}, 0)
	if err != nil || !res.interrupted() || res.Iterations != 2 || res.Checkpoint == "" {
		t.Fatalf("after SIGHUP: %+v, %v", res, err)
	}
	var ie *Interrupted
	if err := res.stopped(); !errors.As(err, &ie) || ie.ExitCode() != 129 {
		t.Fatalf("outcome %v, want an Interrupted error with exit code 129", err)
	}
}
