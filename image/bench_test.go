package image

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
)

// benchTrain times learning iterations of cfg on random-content images of its size and reports seconds per
// part of the iteration and the Go heap's peak (the Go backend's buffers are Go memory).
func benchTrain(b *testing.B, cfg Config) {
	m := testModel(b, cfg)
	data := corpora.EmbeddedShapes().Train
	if cfg.Arch != "embedded" {
		data = randomImages(cfg, 2*cfg.Batch)
	}
	tr, err := NewTrainer(m, data, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.Step(); err != nil { // compiles the graphs
		b.Fatal(err)
	}
	tr.Timing = learn.Timing{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(tr.Timing.Iterations)
	b.ReportMetric(tr.Timing.Iteration/n, "iteration-s/it")
	b.ReportMetric(tr.Timing.Host/n, "host-s/it")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// peakRSSMiB is the process's peak resident memory (VmHWM; the Go backend's buffers are Go memory, so this is
// the whole cost). Run one benchmark per process for a peak of its own. 0 where /proc is absent.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func randomImages(cfg Config, n int) *corpora.Images {
	s := &corpora.Images{Name: "random", H: cfg.Height, W: cfg.Width, C: cfg.Channels, Pix: make([]uint8, n*cfg.Pixels()), Labels: make([]int, n)}
	for i := range s.Pix {
		s.Pix[i] = uint8(i * 7919 % 251)
	}
	return s
}

// BenchmarkTrainEmbedded: the embedded preset (16x16x3, ngf 16, z 16, batch 50, K0 60, K1 20).
func BenchmarkTrainEmbedded(b *testing.B) {
	cfg, _ := Preset("embedded")
	benchTrain(b, cfg)
}

// BenchmarkTrainSVHN: the SVHN preset at full size (32x32x3, ngf 64, z 100, batch 100, K0 60, K1 20).
func BenchmarkTrainSVHN(b *testing.B) {
	cfg, _ := Preset("svhn")
	benchTrain(b, cfg)
}

// BenchmarkTrainSVHNSmall: the SVHN layout at a small size (ngf 16, batch 32; z 100, K0 60, K1 20).
func BenchmarkTrainSVHNSmall(b *testing.B) {
	cfg, _ := Preset("svhn")
	cfg.NGF, cfg.Batch = 16, 32
	benchTrain(b, cfg)
}

// BenchmarkInceptionFeatures: Inception-v3 pool features of 2 images at 299x299 (random weights: the cost
// does not depend on them), per iteration.
func BenchmarkInceptionFeatures(b *testing.B) {
	backend, err := engine.NewBackend("")
	if err != nil {
		b.Fatal(err)
	}
	inc, err := newInception(backend, "")
	if err != nil {
		b.Fatal(err)
	}
	x := corpora.EmbeddedShapes().Test.Float([]int{0, 1})
	if _, err := inc.Features(x, 2, 16, 16, 3); err != nil { // compiles
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := inc.Features(x, 2, 16, 16, 3); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(2*b.N), "s/image")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}
