package ckpt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the file of a run directory that a writing command holds locked for its whole life.
const LockFile = ".lock"

// ErrLocked is the error Lock returns (wrapped, with the holder) when another process holds the lock.
var ErrLocked = errors.New("run directory is in use")

// errBusy is what lockFile returns when another open file holds the lock (other failures, e.g. a
// filesystem without flock, are returned as they are).
var errBusy = errors.New("lock held")

// Lock takes the exclusive lock of the run directory runDir (creating the directory) for a command that
// writes it (what: e.g. "lebm train"), without waiting: when another process holds it the error names
// that process (pid, command, start time). Readers (eval, sample, plot) take no lock. unlock releases
// it, and removes the directory again when Lock created it and nothing but the lock file was written;
// the lock also ends with the process, however it ends. On a filesystem that cannot lock (some network
// filesystems), the directory is used unlocked.
func Lock(runDir, what string) (unlock func(), err error) {
	_, statErr := os.Stat(runDir)
	created := os.IsNotExist(statErr)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(runDir, LockFile)
	for attempt := 0; ; attempt++ {
		// The lock file is written: one that is not a regular file (a symbolic link out of the run) is refused.
		if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("lock of %s: %w", runDir, &notRegularError{path, st.Mode()})
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			if !errors.Is(err, errBusy) {
				return func() {}, nil // no locks here: proceed unlocked
			}
			holder, _ := os.ReadFile(path)
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("%w: %s is held by %s; wait for it to end, or use another directory", ErrLocked, runDir, who)
		}
		// The holder before us may have removed the file (and the directory) it had created: lock the
		// file that is there now.
		if st, err := f.Stat(); err == nil {
			if cur, err := os.Lstat(path); err != nil || !os.SameFile(st, cur) {
				f.Close()
				if attempt < 3 {
					_ = os.MkdirAll(runDir, 0o755)
					continue
				}
				return nil, fmt.Errorf("%w: %s keeps changing its lock file", ErrLocked, runDir)
			}
		}
		if err := f.Truncate(0); err == nil {
			fmt.Fprintf(f, "pid %d (%s, started %s)\n", os.Getpid(), what, time.Now().Format(time.RFC3339))
			_ = f.Sync()
		}
		return func() {
			_ = f.Truncate(0)
			if created { // a command that failed before writing anything leaves no directory behind
				if entries, err := os.ReadDir(runDir); err == nil && len(entries) == 1 {
					_ = os.Remove(path)
					_ = os.Remove(runDir)
				}
			}
			_ = unlockFile(f)
			f.Close()
		}, nil
	}
}
