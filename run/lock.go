package run

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lebm/lebm/ckpt"
)

// lockResumed takes the lock of the directory a resumed run writes (out, or the run's own) before its
// checkpoint is read, and refuses an out that holds another run (resuming would overwrite its
// checkpoints, prune its steps and mix its log).
func lockResumed(resume, out string) (func(), error) {
	ck, err := ckpt.Resolve(resume)
	if err != nil {
		return nil, err
	}
	own := filepath.Dir(ck)
	if out == "" || sameDir(out, own) {
		return ckpt.Lock(own, "lebm train --resume")
	}
	unlock, err := ckpt.Lock(out, "lebm train --resume") // checked under the lock, as a fresh run's
	if err != nil {
		return nil, err
	}
	if holdsRun(out) {
		unlock()
		return nil, fmt.Errorf("--out %s holds another run: --resume %s would overwrite it; to continue %s, --resume %s; to continue %s in "+
			"its own directory, drop --out; to branch it, give an --out that holds no run", out, resume, out, out, resume)
	}
	return unlock, nil
}

// lockFresh takes the lock of a fresh run's directory and refuses one that holds a run already (checked
// under the lock, so that two trainings started together cannot both pass).
func lockFresh(dir string) (func(), error) {
	unlock, err := ckpt.Lock(dir, "lebm train")
	if err != nil {
		return nil, err
	}
	if holdsRun(dir) {
		unlock()
		return nil, fmt.Errorf("run directory %s already holds a run: continue it with --resume %s, or choose another --out", dir, dir)
	}
	return unlock, nil
}

// sameDir reports whether a and b name one directory (both existing), or the same path.
func sameDir(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// holdsRun reports whether dir holds a run: a "latest" file or a complete step-N checkpoint.
func holdsRun(dir string) bool { return ckpt.Resumable(dir) != "" }
