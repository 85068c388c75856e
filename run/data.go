package run

import (
	"fmt"
	"path/filepath"
)

// AbsPath is path made absolute (a run records where its data is, so that eval and resume work from any
// directory); "" stays "" (the embedded data).
func AbsPath(path string) string {
	if path == "" {
		return ""
	}
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// ResumeData is where a resumed run reads its data: given (--data) when not "", else the recorded path,
// both absolute (older runs recorded --data as typed).
func (in Input) ResumeData(recorded string) string {
	if in.Data != "" {
		return AbsPath(in.Data)
	}
	return AbsPath(recorded)
}

// CheckData lets a resumed run read its data from path (given with --data, else the recorded one) when
// that is the run's training data, moved or not (same digest; runs without a recorded digest: the same
// path), or when in.NewData says to train on other data. It returns the digest to record.
func (in Input) CheckData(recorded, path, recordedDigest, digest string) (string, error) {
	where := path
	if where == "" {
		where = "the embedded data"
	}
	switch {
	case recordedDigest == digest, in.NewData:
		return digest, nil
	case recordedDigest == "" && AbsPath(recorded) == path:
		return digest, nil // a run from before digests, on its own data: record the digest now
	case recordedDigest == "":
		return "", fmt.Errorf("--data %s is not where the run recorded its data (%q), and the run predates the record that would tell a "+
			"moved copy from other data: give --new-data if it is the same corpus (or if other data is what you want)", where, recorded)
	}
	return "", fmt.Errorf("--data %s holds other training data than the run was trained on (recorded: %q): resuming on it would break the run's "+
		"batch order and mix two corpora; give --new-data to train on it anyway", where, recorded)
}
