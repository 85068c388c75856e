//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ckpt

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLockHelperProcess is not a test: TestLockAcrossProcesses runs it in a second process, which takes the
// lock, says so on stdout and holds it until its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("LEBM_LOCK_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process")
	}
	unlock, err := Lock(dir, "lock helper")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	unlock()
}

// TestLockAcrossProcesses: while a second process holds a run directory's lock, Lock fails naming that
// process; once it exits, the lock can be taken. Two locks in one process exclude each other as well.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "LEBM_LOCK_HELPER_DIR="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q", line)
	}
	_, err := Lock(dir, "test")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d (lock helper", cmd.Process.Pid)) {
		t.Errorf("lock held by another process: %v", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(dir, "test")
	if err != nil {
		t.Fatalf("after the holder ended: %v", err)
	}
	if _, err := Lock(dir, "second"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "(test,") {
		t.Errorf("second lock in one process: %v", err)
	}
	unlock()
	unlock2, err := Lock(dir, "again")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}
