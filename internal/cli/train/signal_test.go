//go:build unix

package train

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lebm/lebm/internal/cli/clix"
)

// TestHangupSavesAndExitsNonZero: SIGHUP (a closed terminal, an ended ssh session) stops training like
// Ctrl-C: the checkpoint is saved, the summary says interrupted, and the command's error carries the
// conventional exit status 128 + 1.
func TestHangupSavesAndExitsNonZero(t *testing.T) {
	out := t.TempDir()
	saved := 0
	l := loop{
		step: func() (int, string, error) {
			saved++ // iterations run
			if saved == 2 {
				if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond) // delivery is asynchronous
			}
			return saved, "", nil
		},
		save:       func() (string, error) { return filepath.Join(out, "step"), nil },
		iterations: 1000, saveEvery: 500,
	}
	res, err := l.run(&Options{Quiet: true, Stderr: &bytes.Buffer{}})
	if err != nil || !res.interrupted() || res.Iterations != 2 || res.Checkpoint == "" {
		t.Fatalf("after SIGHUP: %+v, %v", res, err)
	}
	var ie *clix.Interrupted
	if err := res.stopped(); !errors.As(err, &ie) || ie.ExitCode() != 129 {
		t.Fatalf("outcome %v, want an Interrupted error with exit code 129", err)
	}
}
