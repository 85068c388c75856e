package image

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/torchtest"
	"github.com/lebm/lebm/run"
)

// perturbed is a model of the named preset with every variable moved off its initialisation by
// N(0, 0.05^2) noise.
func perturbed(t *testing.T, preset string) *Model {
	t.Helper()
	cfg, err := Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	backend, _ := engine.NewBackend("")
	m, err := NewModel(backend, cfg)
	if err != nil {
		t.Fatal(err)
	}
	torchtest.Perturb(t, m.Torch(), 5)
	return m
}

func exportTo(t *testing.T, m *Model) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	if _, err := (&Run{Model: m, Dir: "test"}).Export(run.ExportRequest{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// imagesAndCodes are n images with pixels in [-1, 1] (flat, channels last) and z ~ N(0, I).
func imagesAndCodes(c Config, n int) (x, z []float32) {
	rng := rand.New(rand.NewPCG(8, 9))
	x = make([]float32, n*c.Pixels())
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	z = make([]float32, n*c.ZDim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return x, z
}

// channelsFirst is images [n, H, W, C] (flat) as nested [n][C][H][W] lists, PyTorch's layout.
func channelsFirst(x []float32, n int, c Config) [][][][]float32 {
	out := make([][][][]float32, n)
	for i := range out {
		out[i] = make([][][]float32, c.Channels)
		for ch := range out[i] {
			out[i][ch] = make([][]float32, c.Height)
			for h := range out[i][ch] {
				out[i][ch][h] = make([]float32, c.Width)
				for w := range out[i][ch][h] {
					out[i][ch][h][w] = x[((i*c.Height+h)*c.Width+w)*c.Channels+ch]
				}
			}
		}
	}
	return out
}

func checkParity(t *testing.T, m *Model, dir string) {
	t.Helper()
	const n = 4
	c := m.Config
	x, z := imagesAndCodes(c, n)
	lp, err := m.LogPX(x, z, n)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.F(z, n)
	if err != nil {
		t.Fatal(err)
	}
	var zs [][]float32
	for i := 0; i < n; i++ {
		zs = append(zs, z[i*c.ZDim:(i+1)*c.ZDim])
	}
	got := torchtest.Parity(t, dir, map[string]any{"z": zs, "x": channelsFirst(x, n, c)})
	var worst float64
	for i := 0; i < n; i++ {
		if !torchtest.Close(float64(lp[i]), got.LogPX[i], 1e-4) || !torchtest.Close(float64(f[i]), got.F[i], 1e-4) {
			t.Errorf("image %d: lebm log p(x|z) %.6f, f %.6f; PyTorch %.6f, %.6f", i, lp[i], f[i], got.LogPX[i], got.F[i])
		}
		worst = max(worst, torchtest.Rel(float64(lp[i]), got.LogPX[i]), torchtest.Rel(float64(f[i]), got.F[i]))
	}
	t.Logf("%d images %dx%dx%d: largest relative difference from PyTorch %.2g (log p(x|z) of image 0: lebm %.4f, PyTorch %.4f)",
		n, c.Height, c.Width, c.Channels, worst, lp[0], got.LogPX[0])
}

// TestExportImportRoundTrip: export then import gives bitwise the same variables and log p(x|z).
func TestExportImportRoundTrip(t *testing.T) {
	m := perturbed(t, "svhn")
	backend, _ := engine.NewBackend("")
	back, err := ReadExport(backend, exportTo(t, m))
	if err != nil {
		t.Fatal(err)
	}
	a, b := m.Torch(), back.Torch()
	for i := range a {
		for j := range a[i].Vars {
			va, _ := a[i].Vars[j].Value()
			vb, _ := b[i].Vars[j].Value()
			if !slices.Equal(tensors.MustCopyFlatData[float32](va), tensors.MustCopyFlatData[float32](vb)) {
				t.Errorf("%s differs after export and import", a[i].Name)
			}
		}
	}
	x, z := imagesAndCodes(m.Config, 3)
	lpA, _ := m.LogPX(x, z, 3)
	lpB, _ := back.LogPX(x, z, 3)
	if !slices.Equal(lpA, lpB) {
		t.Errorf("log p(x|z) %v, after export and import %v", lpA, lpB)
	}
}

// TestTorchParity: -||x - g(z)||^2 / (2 sigma^2) and f_alpha(z) agree between lebm and the PyTorch
// modules of examples/pytorch/lebm.py to 1e-4 relative: the svhn, cifar10 and celeba presets at full size, a
// trained run (testdata's), and the mnist layout with weights PyTorch code wrote.
func TestTorchParity(t *testing.T) {
	torchtest.Python(t)
	for _, preset := range []string{"svhn", "cifar10", "celeba"} { // cifar10: an 8x8 first kernel, a 3x3 stride-1 last one
		t.Run(preset, func(t *testing.T) { m := perturbed(t, preset); checkParity(t, m, exportTo(t, m)) })
	}
	t.Run("trained", func(t *testing.T) {
		backend, _ := engine.NewBackend("")
		m, _, _, _, err := Load(backend, filepath.Join("testdata", "v026run"))
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, m, exportTo(t, m))
	})
	t.Run("written by PyTorch", func(t *testing.T) {
		dir := exportTo(t, perturbed(t, "mnist"))
		if err := os.Remove(filepath.Join(dir, ckpt.SafetensorsFile)); err != nil {
			t.Fatal(err)
		}
		torchtest.Random(t, dir, 3)
		backend, _ := engine.NewBackend("")
		m, err := ReadExport(backend, dir)
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, m, dir)
		cfg, n := m.Config, 4
		set := &corpora.Images{Name: "random", H: cfg.Height, W: cfg.Width, C: cfg.Channels, Pix: make([]uint8, n*cfg.Pixels()), Labels: make([]int, n)}
		for i := range set.Pix {
			set.Pix[i] = uint8(i * 37)
		}
		ec := DefaultEvalConfig(cfg)
		ec.Chains, ec.K1 = 2, 2
		res, err := m.Reconstruct(set, set, "test", ec, nil)
		if err != nil || !(res.MSE > 0) || res.Images != n {
			t.Fatalf("reconstructing with the model PyTorch wrote: %+v, %v", res, err)
		}
	})
}
