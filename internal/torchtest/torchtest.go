package torchtest

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/ckpt"
)

// Python returns a python3 that imports torch and numpy, or skips the test.
func Python(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, p := range []string{os.Getenv("LEBM_PYTHON"), "/usr/bin/python3", "python3"} {
		if p == "" {
			continue
		}
		if err := exec.Command(p, "-c", "import torch, numpy").Run(); err == nil {
			return p
		}
		tried = append(tried, p)
	}
	t.Skipf("no python3 with torch and numpy (tried %v; on Debian: apt-get install python3-torch)", tried)
	return ""
}

// Script is the path of examples/pytorch/lebm.py, found from the test's directory up to the module root.
func Script(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "examples", "pytorch", "lebm.py")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Result is what `lebm.py parity` prints.
type Result struct {
	LogPX  []float64   `json:"log_px"`
	F      []float64   `json:"f"`
	Mu     [][]float64 `json:"mu"`     // the inference network's mean, per sentence (text models that have one)
	LogVar [][]float64 `json:"logvar"` // and log-variance
}

// Parity runs `lebm.py parity dir input` with input written as JSON and returns PyTorch's values.
func Parity(t *testing.T, dir string, input any) Result {
	t.Helper()
	py, script := Python(t), Script(t)
	in := filepath.Join(t.TempDir(), "input.json")
	b, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	cmd := exec.Command(py, script, "parity", dir, in)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s parity: %v\n%s", py, script, err, errs.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("parity output %q: %v", out.String(), err)
	}
	return r
}

// Random runs `lebm.py random dir seed`: PyTorch code writes dir/model.safetensors for dir/config.json.
func Random(t *testing.T, dir string, seed int) {
	t.Helper()
	py, script := Python(t), Script(t)
	if out, err := exec.Command(py, script, "random", dir, strconv.Itoa(seed)).CombinedOutput(); err != nil {
		t.Fatalf("%s %s random: %v\n%s", py, script, err, out)
	}
}

// Rel is |got - want| / max(|want|, 1): the relative difference, absolute near zero.
func Rel(got, want float64) float64 { return math.Abs(got-want) / max(math.Abs(want), 1) }

// Close reports whether got is within rel of want (Rel).
func Close(got, want, rel float64) bool { return Rel(got, want) <= rel }

// Perturb moves every variable of specs off its value by N(0, 0.05^2) noise (seeded), so that a layout
// error cannot hide behind an initialisation's symmetries.
func Perturb(t *testing.T, specs []ckpt.TorchTensor, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, tt := range specs {
		for _, v := range tt.Vars {
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			data := tensors.MustCopyFlatData[float32](val)
			for i := range data {
				data[i] += float32(0.05 * rng.NormFloat64())
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, v.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
		}
	}
}
