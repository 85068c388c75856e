package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/cli"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/run"
)

var goldenBinary = flag.String("golden-binary", "", "write testdata/seeded from the runs of this lebm binary (the release to compare with) instead of comparing")

// seededRuns are short seeded trainings of each family and learning method: the embedded text preset
// (inference network, bag of words, warm-ups), the paper's algorithm on text, and the embedded image preset.
//
// A run whose arithmetic has changed since the release is compared within its tolerance: each logged
// value within tolerance x max(1, |value|), the generators' states bitwise, the variables not (their
// digest is of the bytes). The text runs' updates use the fitting decoder's fused products since
// 2026-12-08 (text.Decoder.Fitting), which sum the weights' gradients in another order, and the
// encoder's and generator's updates share one backward pass (optim.Minimize): their values agree with
// the release's to about 1e-6 relative after 6 iterations (1e-4 allowed; PTB's learning curve of 300
// iterations agreed to 5 digits, README).
var seededRuns = []struct {
	name      string
	args      []string
	tolerance float64
}{
	{"text-embedded", []string{"train", "--embed", "16", "--hidden", "32", "--z", "4", "--ebm-width", "16", "--iterations", "6"}, 1e-4},
	{"text-paper", []string{"train", "--preset", "embedded-paper", "--embed", "16", "--hidden", "32", "--z", "4", "--ebm-width", "16", "--iterations", "6"}, 1e-4},
	{"image-embedded", []string{"train", "--family", "image", "--iterations", "4"}, 0},
}

// seededDigest is what a seeded run must reproduce bitwise: its last checkpoint's variables (SHA-256 of
// the file) and trainer state, and every log record's values but the timings.
type seededDigest struct {
	MatMulPath string           `json:"matmul_path"`
	Variables  string           `json:"variables_sha256"`
	State      map[string]any   `json:"state"`
	Log        []map[string]any `json:"log"`
}

// TestSeededRunsUnchanged: a seeded run gives bitwise the same checkpoint and the same log values
// (timings aside) as the release before the product seam (commit bce28be, whose runs wrote
// testdata/seeded: `go test ./cmd/lebm -run SeededRuns -golden-binary /path/to/lebm-bce28be`, once on
// each matrix-kernel path: GOMLX_GO_SIMD_AVX512=false for AVX2). Float results depend on the kernels, so
// the comparison is with the digest of the same path; a path without one is skipped.
func TestSeededRunsUnchanged(t *testing.T) {
	path := kernelPath()
	for _, sr := range seededRuns {
		t.Run(sr.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(append([]string{}, sr.args...), "--save-every", "100", "--log-every", "1", "--k0", "5", "--k1", "5",
				"--batch", "8", "--seed", "7", "--no-eval", "--quiet", "--out", dir)
			golden := filepath.Join("testdata", "seeded", sr.name+"-"+path+".json")
			if *goldenBinary != "" {
				cmd := exec.Command(*goldenBinary, args...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s %v: %v\n%s", *goldenBinary, args, err, out)
				}
				writeDigest(t, golden, digestOf(t, dir))
				return
			}
			want, err := os.ReadFile(golden)
			if os.IsNotExist(err) {
				t.Skipf("no digest for matrix kernels %q (%s)", path, golden)
			} else if err != nil {
				t.Fatal(err)
			}
			if _, err := lebm(t, cli.Standard(), args...); err != nil {
				t.Fatal(err)
			}
			var w seededDigest
			if err := decodeNumbers(bytes.NewReader(want), &w); err != nil {
				t.Fatal(err)
			}
			compareDigests(t, w, digestOf(t, dir), sr.tolerance)
		})
	}
}

// kernelPath is a short name of the matrix kernels this binary uses (avx512, avx2 or other).
func kernelPath() string {
	p := engine.MatMulPath()
	switch {
	case strings.HasPrefix(p, "AVX-512"):
		return "avx512"
	case strings.HasPrefix(p, "AVX2"):
		return "avx2"
	}
	return "other"
}

// digestOf reads the digest of the run in dir.
func digestOf(t *testing.T, dir string) seededDigest {
	t.Helper()
	step := ckpt.NewestStep(dir)
	vars, err := os.ReadFile(filepath.Join(step, ckpt.VariablesFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(vars)
	d := seededDigest{MatMulPath: kernelPath(), Variables: hex.EncodeToString(sum[:])}
	state, err := os.ReadFile(filepath.Join(step, ckpt.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeNumbers(bytes.NewReader(state), &d.State); err != nil {
		t.Fatal(err)
	}
	delete(d.State, "elapsed_s") // a timing
	f, err := os.Open(filepath.Join(dir, run.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		if err := decodeNumbers(bytes.NewReader(sc.Bytes()), &rec); err != nil {
			t.Fatal(err)
		}
		delete(rec, "iteration_s")
		delete(rec, "host_s")
		d.Log = append(d.Log, rec)
	}
	return d
}

// decodeNumbers decodes JSON keeping numbers as written (generator states are 64-bit words).
func decodeNumbers(r *bytes.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(v)
}

func writeDigest(t *testing.T, path string, d seededDigest) {
	t.Helper()
	b, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func compareDigests(t *testing.T, want, got seededDigest, tolerance float64) {
	t.Helper()
	if tolerance == 0 && want.Variables != got.Variables {
		t.Errorf("checkpoint variables differ (SHA-256 %s, the release's %s)", got.Variables, want.Variables)
	}
	if a, b := fmt.Sprint(want.State), fmt.Sprint(got.State); a != b {
		t.Errorf("trainer state differs:\n got %s\nwant %s", b, a)
	}
	if len(want.Log) != len(got.Log) {
		t.Fatalf("%d log records, the release wrote %d", len(got.Log), len(want.Log))
	}
	for i := range want.Log {
		if !sameRecord(want.Log[i], got.Log[i], tolerance) {
			t.Errorf("log record %d differs (tolerance %g):\n got %v\nwant %v", i+1, tolerance, got.Log[i], want.Log[i])
		}
	}
}

// sameRecord reports whether two log records hold the same keys and values, numbers within tolerance x
// max(1, |want|) (bitwise when tolerance is 0).
func sameRecord(want, got map[string]any, tolerance float64) bool {
	if len(want) != len(got) {
		return false
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return false
		}
		wn, wok := w.(json.Number)
		gn, gok := g.(json.Number)
		if tolerance == 0 || !wok || !gok {
			if fmt.Sprint(w) != fmt.Sprint(g) {
				return false
			}
			continue
		}
		a, aerr := wn.Float64()
		b, berr := gn.Float64()
		if aerr != nil || berr != nil || math.Abs(a-b) > tolerance*math.Max(1, math.Abs(a)) {
			return false
		}
	}
	return true
}
