package text

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/torchtest"
	"github.com/lebm/lebm/run"
)

// perturbed is a model of cfg over a vocabulary of v synthetic words, every variable moved off its
// initialisation by N(0, 0.05^2) noise (so that a layout error cannot hide behind symmetric weights).
func perturbed(t *testing.T, cfg Config, v int) *Model {
	t.Helper()
	words := []string{corpora.PadToken, corpora.UnkToken, corpora.BosToken, corpora.EosToken}
	for i := 0; len(words) < v; i++ {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(backend, cfg, corpora.NewVocab(words))
	if err != nil {
		t.Fatal(err)
	}
	torchtest.Perturb(t, m.Torch(), 3)
	return m
}

// exportTo writes m's export directory (as `lebm export` does) and returns it.
func exportTo(t *testing.T, m *Model) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	if _, err := (&Run{Model: m, Dir: "test"}).Export(run.ExportRequest{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sentencesBatch is a batch of n random sentences of lengths 1..maxWords over m's vocabulary, and z ~ N(0, I).
func sentencesBatch(m *Model, n, maxWords int, seed uint64) (*corpora.Batch, []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := make([][]int, n)
	for i := range ids {
		ids[i] = make([]int, 1+rng.IntN(maxWords))
		for j := range ids[i] {
			ids[i][j] = 4 + rng.IntN(m.Vocab.Size()-4)
		}
	}
	ds := corpora.NewDatasetFromIDs(ids, corpora.Whole)
	rows := make([]int, n)
	T := 0
	for i := range rows {
		rows[i] = i
		T = max(T, ds.BucketOf(i))
	}
	z := make([]float32, n*m.Config.ZDim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return ds.MakeBatch(rows, T), z
}

// torchInput is the batch and z as lebm.py's parity command reads them.
func torchInput(b *corpora.Batch, z []float32, d int) map[string]any {
	rows := func(flat []int32) [][]int32 {
		var out [][]int32
		for i := 0; i < b.Size; i++ {
			out = append(out, flat[i*b.Len:(i+1)*b.Len])
		}
		return out
	}
	var mask [][]float32
	var zs [][]float32
	for i := 0; i < b.Size; i++ {
		mask = append(mask, b.Mask[i*b.Len:(i+1)*b.Len])
		zs = append(zs, z[i*d:(i+1)*d])
	}
	return map[string]any{"z": zs, "inputs": rows(b.Inputs), "targets": rows(b.Targets), "mask": mask}
}

// checkParity compares log p(x|z) and f_alpha(z) of m with PyTorch's on the model exported in dir.
func checkParity(t *testing.T, m *Model, dir string) {
	t.Helper()
	b, z := sentencesBatch(m, 6, min(20, m.Config.WordLimit()), 9)
	lp, err := m.LogPX(b, z)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.F(z, b.Size)
	if err != nil {
		t.Fatal(err)
	}
	got := torchtest.Parity(t, dir, torchInput(b, z, m.Config.ZDim))
	if len(got.LogPX) != b.Size || len(got.F) != b.Size {
		t.Fatalf("PyTorch returned %d and %d values for %d sentences", len(got.LogPX), len(got.F), b.Size)
	}
	var worst float64
	for i := 0; i < b.Size; i++ {
		if !torchtest.Close(float64(lp[i]), got.LogPX[i], 1e-4) || !torchtest.Close(float64(f[i]), got.F[i], 1e-4) {
			t.Errorf("sentence %d: lebm log p(x|z) %.6f, f %.6f; PyTorch %.6f, %.6f", i, lp[i], f[i], got.LogPX[i], got.F[i])
		}
		worst = max(worst, torchtest.Rel(float64(lp[i]), got.LogPX[i]), torchtest.Rel(float64(f[i]), got.F[i]))
	}
	if m.Encoder != nil { // the inference network's q_phi(z|x): mean and log-variance
		_, mu, lv, err := m.EncodeStart(b, make([]float32, b.Size*m.Config.ZDim))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Mu) != b.Size || len(got.LogVar) != b.Size {
			t.Fatalf("PyTorch returned %d means and %d log-variances for %d sentences", len(got.Mu), len(got.LogVar), b.Size)
		}
		d := m.Config.ZDim
		for i := 0; i < b.Size; i++ {
			for j := 0; j < d; j++ {
				if !torchtest.Close(float64(mu[i*d+j]), got.Mu[i][j], 1e-4) || !torchtest.Close(float64(lv[i*d+j]), got.LogVar[i][j], 1e-4) {
					t.Fatalf("sentence %d, dimension %d: lebm q(z|x) mean %.6f, log-variance %.6f; PyTorch %.6f, %.6f", i, j, mu[i*d+j], lv[i*d+j], got.Mu[i][j], got.LogVar[i][j])
				}
				worst = max(worst, torchtest.Rel(float64(mu[i*d+j]), got.Mu[i][j]), torchtest.Rel(float64(lv[i*d+j]), got.LogVar[i][j]))
			}
		}
	} else if got.Mu != nil {
		t.Errorf("PyTorch's model has an inference network lebm's has not")
	}
	t.Logf("%d sentences of up to %d tokens: largest relative difference from PyTorch %.2g (log p(x|z) of sentence 0: lebm %.6f, PyTorch %.6f)",
		b.Size, b.Len, worst, lp[0], got.LogPX[0])
}

// variablesOf reads the values of every exported variable of m, by PyTorch name.
func variablesOf(t *testing.T, m *Model) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, tt := range m.Torch() {
		for i, v := range tt.Vars {
			val, _ := v.Value()
			out[fmt.Sprintf("%s/%d", tt.Name, i)] = tensors.MustCopyFlatData[float32](val)
		}
	}
	return out
}

// TestExportImportRoundTrip: export then import gives bitwise the same variables and the same log
// p(x|z), for the embedded preset (inference network, bag of words) and the ptb preset's shapes; the run
// import writes evaluates like the model, and train --resume refuses it.
func TestExportImportRoundTrip(t *testing.T) {
	for _, name := range []string{"embedded", "ptb"} {
		cfg, _ := Preset(name)
		m := perturbed(t, cfg, map[string]int{"embedded": 120, "ptb": 10004}[name])
		start := time.Now()
		dir := exportTo(t, m)
		exported := time.Since(start)
		backend, _ := engine.NewBackend("")
		start = time.Now()
		back, err := ReadExport(backend, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: export %v, import %v", name, exported, time.Since(start))
		want, got := variablesOf(t, m), variablesOf(t, back)
		for k, w := range want {
			if !slices.Equal(w, got[k]) {
				t.Errorf("%s: %s differs after export and import", name, k)
			}
		}
		b, z := sentencesBatch(m, 4, 10, 2)
		lpA, _ := m.LogPX(b, z)
		lpB, _ := back.LogPX(b, z)
		if !slices.Equal(lpA, lpB) {
			t.Errorf("%s: log p(x|z) %v, after export and import %v", name, lpA, lpB)
		}
	}
}

// TestImportRefusesWhatDoesNotFit: a missing or unexpected tensor, a wrong shape, a non-finite value, the
// tensors of a part the configuration leaves out, a float64 tensor, a missing config key, an unknown one
// (or one spelt otherwise), a null one and a vocabulary of another size are refused naming the tensor or key.
func TestImportRefusesWhatDoesNotFit(t *testing.T) {
	cfg, _ := Preset("embedded-paper")
	m := perturbed(t, cfg, 60)
	backend, _ := engine.NewBackend("")
	edit := func(f func(dir string)) error {
		dir := exportTo(t, m)
		f(dir)
		_, err := ReadExport(backend, dir)
		return err
	}
	rewrite := func(dir string, f func(map[string]ckpt.Tensor)) {
		path := filepath.Join(dir, ckpt.SafetensorsFile)
		ts, meta, err := ckpt.ReadSafetensors(path)
		if err != nil {
			t.Fatal(err)
		}
		f(ts)
		if err := ckpt.WriteSafetensors(path, ts, meta); err != nil {
			t.Fatal(err)
		}
	}
	config := func(dir string, f func(string) string) {
		path := filepath.Join(dir, run.ConfigFile)
		b, _ := os.ReadFile(path)
		if err := os.WriteFile(path, []byte(f(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		f    func(string)
		want string
	}{
		{"missing tensor", func(d string) { rewrite(d, func(ts map[string]ckpt.Tensor) { delete(ts, "decoder.out.bias") }) }, `tensor "decoder.out.bias" is missing`},
		{"extra tensor", func(d string) {
			rewrite(d, func(ts map[string]ckpt.Tensor) {
				ts["decoder.extra"] = ckpt.Tensor{Shape: []int{1}, Data: []float32{0}}
			})
		}, `tensor "decoder.extra" is not one of this model's`},
		{"wrong shape", func(d string) {
			rewrite(d, func(ts map[string]ckpt.Tensor) {
				x := ts["prior.fc1.weight"]
				x.Shape = []int{x.Shape[1], x.Shape[0]}
				ts["prior.fc1.weight"] = x
			})
		}, `tensor "prior.fc1.weight" has shape`},
		{"NaN", func(d string) {
			rewrite(d, func(ts map[string]ckpt.Tensor) {
				x := ts["decoder.init_h.bias"]
				x.Data[3] = float32(nanF())
				ts["decoder.init_h.bias"] = x
			})
		}, `tensor "decoder.init_h.bias" holds NaN`},
		{"missing key", func(d string) {
			config(d, func(s string) string { return regexp.MustCompile(`"hidden_dim": \d+,`).ReplaceAllString(s, "") })
		}, `key "hidden_dim" is missing`},
		{"unknown key", func(d string) {
			config(d, func(s string) string { return strings.Replace(s, `"family"`, `"colour": 1, "family"`, 1) })
		}, `unknown key "colour"`},
		{"key spelt otherwise", func(d string) {
			config(d, func(s string) string { return strings.Replace(s, `"family"`, `"Hidden_dim": 8, "family"`, 1) })
		}, `unknown key "Hidden_dim"`},
		{"null", func(d string) {
			config(d, func(s string) string { return regexp.MustCompile(`"s1": [0-9.e-]+`).ReplaceAllString(s, `"s1": null`) })
		}, `key "s1" is null`},
		{"a part the config leaves out", func(d string) {
			rewrite(d, func(ts map[string]ckpt.Tensor) {
				ts["bow.bias"] = ckpt.Tensor{Shape: []int{60}, Data: make([]float32, 60)}
			})
		}, `tensor "bow.bias" is of a part config.json does not configure: set "bow_weight" above 0`},
		{"float64", func(d string) { writeF64(t, filepath.Join(d, ckpt.SafetensorsFile), "decoder.out.bias", 60) }, `tensor "decoder.out.bias" is F64, expected F32`},
		{"vocabulary size", func(d string) {
			config(d, func(s string) string { return strings.Replace(s, `"vocab": 60`, `"vocab": 61`, 1) })
		}, "vocab 61, but tokenizer.json holds 60 words"},
	} {
		if err := edit(c.f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestTorchParity: log p(x|z) of fixed sentences at fixed z, and f_alpha(z), agree between lebm and the
// PyTorch modules of examples/pytorch/lebm.py to 1e-4 relative: at the ptb preset's shapes (10004 words,
// embedding 128, hidden 512, z 32, nef 200), with the inference network (its mean and log-variance too), for a trained model (the v0.28.2 run of testdata), and for a
// model whose weights PyTorch code wrote (lebm.py random: bias_hh non-zero, the safetensors file written
// with numpy), which imports and evaluates.
func TestTorchParity(t *testing.T) {
	torchtest.Python(t)
	cfg, _ := Preset("ptb")
	m := perturbed(t, cfg, 10004)
	t.Run("ptb shapes", func(t *testing.T) { checkParity(t, m, exportTo(t, m)) })
	t.Run("inference network", func(t *testing.T) {
		cfg, _ := Preset("embedded") // encoder (of its own hidden size here), bag of words, synthesis network
		cfg.EncoderHidden, cfg.PriorInit = 48, "synthesis"
		m := perturbed(t, cfg, 300)
		checkParity(t, m, exportTo(t, m))
	})
	t.Run("trained", func(t *testing.T) {
		backend, _ := engine.NewBackend("")
		trained, _, _, _, err := Load(backend, filepath.Join("testdata", "v0282run"))
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, trained, exportTo(t, trained))
	})
	t.Run("written by PyTorch", func(t *testing.T) {
		dir := exportTo(t, m)
		if err := os.Remove(filepath.Join(dir, ckpt.SafetensorsFile)); err != nil {
			t.Fatal(err)
		}
		torchtest.Random(t, dir, 7)
		backend, _ := engine.NewBackend("")
		imported, err := ReadExport(backend, dir)
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, imported, dir)
		ds, _ := corpora.NewDataset([][]string{{"w1", "w2"}, {"w3"}, {"w5", "w8", "w13"}}, imported.Vocab, imported.Config.MaxLen)
		ec := DefaultEvalConfig(imported.Config)
		ec.Chains, ec.ImportanceSamples, ec.K1, ec.LogZSamples = 2, 4, 2, 100
		res, err := imported.Evaluate(ds, "test", ec, nil)
		if err != nil || !(res.NLL > 0) {
			t.Fatalf("evaluating the model PyTorch wrote: %+v, %v", res, err)
		}
	})
}

// writeF64 writes a safetensors file holding one float64 tensor of n zeros.
func writeF64(t *testing.T, path, name string, n int) {
	t.Helper()
	header := fmt.Sprintf(`{%q:{"dtype":"F64","shape":[%d],"data_offsets":[0,%d]}}`, name, n, 8*n)
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(append(b, header...), make([]byte, 8*n)...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func nanF() float64 { var z float64; return z / z }
