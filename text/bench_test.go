package text

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/internal/textmetrics"
)

// sharedCorpus is ../shared/corpora/<name> relative to the repository root, or "" when absent.
func sharedCorpus(name string) string {
	p := filepath.Join("..", "..", "shared", "corpora", name)
	if _, err := os.Stat(filepath.Join(p, "train.txt")); err != nil {
		return ""
	}
	return p
}

// peakRSSMB reads the process's peak resident set size (VmHWM) in MiB, 0 where /proc is absent.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// benchModel is a model of cfg on corpus's vocabulary, on the backend LEBM_BACKEND names, with its
// training split.
func benchModel(b *testing.B, cfg Config, corpus *corpora.Corpus) (*Model, *corpora.Dataset) {
	backend, err := engine.NewBackend(os.Getenv("LEBM_BACKEND"))
	if err != nil {
		b.Fatal(err)
	}
	vocab := corpora.BuildVocab(corpus.Train, cfg.VocabSize, cfg.MinCount)
	m, err := NewModel(backend, cfg, vocab)
	if err != nil {
		b.Fatal(err)
	}
	ds, err := Encode(corpus, vocab, cfg.MaxLen, "train")
	if err != nil {
		b.Fatal(err)
	}
	return m, ds
}

func benchIterations(b *testing.B, cfg Config, corpus *corpora.Corpus, bucket int) {
	m, ds := benchModel(b, cfg, corpus)
	if bucket > 0 { // keep only sentences of the largest bucket: the worst-case iteration
		var keep [][]int
		for i, ex := range ds.Examples {
			if ds.BucketOf(i) == bucket {
				keep = append(keep, ex)
			}
		}
		ds = corpora.NewDatasetFromIDs(keep, cfg.MaxLen)
	}
	tr, err := NewTrainer(m, ds, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.Step(); err != nil { // compile
		b.Fatal(err)
	}
	tr.Timing = learn.Timing{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(tr.Timing.Iterations)
	b.ReportMetric(tr.Timing.Iteration/n, "iteration_s/it")
	b.ReportMetric(tr.Timing.Host/n, "host_s/it")
	b.ReportMetric(peakRSSMB(), "peak_RSS_MiB")
}

// BenchmarkIterationEmbedded: the paper's learning on the embedded corpus (preset "embedded-paper", the
// default before 2026-12-02: comparable with earlier figures).
func BenchmarkIterationEmbedded(b *testing.B) {
	cfg, _ := Preset("embedded-paper")
	benchIterations(b, cfg, corpora.Embedded(EmbeddedSeed), 0)
}

// BenchmarkIterationEmbeddedDefault: the default preset "embedded" (inference network, K1 = 0, the
// bag-of-words loss, the prior chain of K0 = 60 steps).
func BenchmarkIterationEmbeddedDefault(b *testing.B) {
	cfg, _ := Preset("embedded")
	benchIterations(b, cfg, corpora.Embedded(EmbeddedSeed), 0)
}

// BenchmarkInference: the cost of each inference option on the embedded preset (one sub-benchmark per
// option, same data and batch), for the README's table of inference flags.
func BenchmarkInference(b *testing.B) {
	corpus := corpora.Embedded(EmbeddedSeed)
	for _, c := range []struct {
		name string
		mod  func(*Config)
	}{
		{"paper_noise_K1_20", func(*Config) {}},
		{"persistent_K1_20", func(c *Config) { c.PosteriorInit = learn.InitPersistent }},
		{"encoder_K1_5", func(c *Config) { c.PosteriorInit, c.K1, c.FreeBits = learn.InitEncoder, 5, 0.1 }},
		{"encoder_K1_0", func(c *Config) { c.PosteriorInit, c.K1 = learn.InitEncoder, 0 }},
		{"encoder_K1_0_synthesis_K0_20", func(c *Config) {
			c.PosteriorInit, c.K1, c.PriorInit, c.K0 = learn.InitEncoder, 0, learn.InitSynthesis, 20
		}},
		{"word_dropout_0.4", func(c *Config) { c.WordDropout = 0.4 }},
		{"encoder_K1_0_bow", func(c *Config) { c.PosteriorInit, c.K1, c.BoWWeight = learn.InitEncoder, 0, 1 }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg, _ := Preset("embedded-paper")
			c.mod(&cfg)
			benchIterations(b, cfg, corpus, 0)
		})
	}
}

// ptbCorpus reads ../shared/corpora/ptb or skips the benchmark.
func ptbCorpus(b *testing.B) *corpora.Corpus {
	dir := sharedCorpus("ptb")
	if dir == "" {
		b.Skip("../shared/corpora/ptb not present")
	}
	c, err := corpora.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkIterationPTBSmall: the paper's iteration in a small configuration on PTB (embedding 64, hidden
// 128, 2000 words, the sentences of at most 16 tokens), as in DESIGN.md's reference run.
func BenchmarkIterationPTBSmall(b *testing.B) {
	c := ptbCorpus(b)
	cfg, _ := Preset("ptb")
	if err := cfg.SetLearning(LearningPaper); err != nil {
		b.Fatal(err)
	}
	cfg.EmbedDim, cfg.HiddenDim, cfg.VocabSize, cfg.MaxLen = 64, 128, 2000, 16
	benchIterations(b, cfg, c, 0)
}

// BenchmarkIterationPTBFull: the paper's iteration at the ptb preset's full size (embedding 128, hidden
// 512, 10k words, K0 = 60, K1 = 20, batch 32) on the bucket of 39 time steps (the sentences of 32 to 38
// words), as measured before whole sentences.
func BenchmarkIterationPTBFull(b *testing.B) {
	c := ptbCorpus(b)
	cfg, _ := Preset("ptb")
	if err := cfg.SetLearning(LearningPaper); err != nil {
		b.Fatal(err)
	}
	cfg.MaxLen = 40
	benchIterations(b, cfg, c, cfg.MaxLen-1)
}

// BenchmarkIterationPTBRecommended: the recommended learning at the ptb preset's full size (embedding
// 128, hidden 512, encoder 512, 10k words, z 32, K0 = 60, K1 = 0, batch 32) on whole sentences, over
// PTB's length buckets in their training proportions: one iteration per bucket (each bucket's graph
// compiled first, outside the timing), weighted by the bucket's share of an epoch's batches. It reports
// that weighted s/it, the iteration's arithmetic (Config.IterationFLOPs, same weights), the rate it
// runs at, a large matrix product's rate measured in the same process (peakGFLOPs), their ratio, and
// the peak RSS.
func BenchmarkIterationPTBRecommended(b *testing.B) {
	c := ptbCorpus(b)
	cfg, _ := Preset("ptb")
	benchBuckets(b, cfg, c)
}

// BenchmarkIterationPTBPaper: the paper's learning (K1 = 20 from noise) at the ptb preset's full size on
// whole sentences, over the buckets as BenchmarkIterationPTBRecommended.
func BenchmarkIterationPTBPaper(b *testing.B) {
	c := ptbCorpus(b)
	cfg, _ := Preset("ptb")
	if err := cfg.SetLearning(LearningPaper); err != nil {
		b.Fatal(err)
	}
	benchBuckets(b, cfg, c)
}

// benchBuckets times one iteration per length bucket of corpus's training split and weights each by its
// share of the batches of an epoch (TrainOrder), reporting s/it, GFLOP/it, GFLOP/s, the same process's
// matrix-product peak and the fraction of it.
func benchBuckets(b *testing.B, cfg Config, corpus *corpora.Corpus) {
	m, ds := benchModel(b, cfg, corpus)
	peak := peakGFLOPs(b, m.Backend)
	order := ds.TrainOrder(cfg.Seed, 0, cfg.Batch)
	share, first := map[int]float64{}, map[int][]int{}
	for _, rows := range order {
		T := ds.BucketOf(rows[0])
		share[T] += 1 / float64(len(order))
		if first[T] == nil {
			first[T] = rows
		}
	}
	tr, err := NewTrainer(m, ds, nil)
	if err != nil {
		b.Fatal(err)
	}
	step := func(T int) float64 {
		started := time.Now()
		batch := ds.MakeBatch(first[T], T)
		if _, err := tr.Trainer.Step(learn.Batch{Data: batchArgs(batch), Rows: batch.Rows, Size: batch.Size}, started); err != nil {
			b.Fatal(err)
		}
		return time.Since(started).Seconds()
	}
	for _, T := range ds.Buckets { // compile
		step(T)
	}
	b.ResetTimer()
	var sec, flops float64
	for i := 0; i < b.N; i++ {
		for _, T := range ds.Buckets {
			sec += share[T] * step(T)
		}
	}
	b.StopTimer()
	for _, T := range ds.Buckets {
		flops += share[T] * cfg.IterationFLOPs(m.Vocab.Size(), T)
	}
	sec /= float64(b.N)
	b.ReportMetric(sec, "iteration_s/it")
	b.ReportMetric(flops/1e9, "GFLOP/it")
	b.ReportMetric(flops/1e9/sec, "GFLOP/s")
	b.ReportMetric(peak, "peak_GFLOP/s")
	b.ReportMetric(flops/1e9/sec/peak, "fraction_of_peak")
	b.ReportMetric(peakRSSMB(), "peak_RSS_MiB")
}

// PeakSide is the side of the square matrix product peakGFLOPs times.
const PeakSide = 2048

// peakGFLOPs is the rate of a [PeakSide, PeakSide] x [PeakSide, PeakSide] float32 product on backend:
// the best of 5 runs after one that compiles, 2 n^3 / seconds.
func peakGFLOPs(b *testing.B, backend compute.Backend) float64 {
	exec, err := graph.NewExec(backend, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		b.Fatal(err)
	}
	const n = PeakSide
	data := make([]float32, n*n)
	for i := range data {
		data[i] = float32(i%7) / 7
	}
	x := tensors.FromFlatDataAndDimensions(data, n, n)
	best := math.Inf(1)
	for i := 0; i < 6; i++ {
		t0 := time.Now()
		out, err := exec.Exec(x, x)
		if err != nil {
			b.Fatal(err)
		}
		out[0].MustFinalizeAll()
		if d := time.Since(t0).Seconds(); i > 0 {
			best = math.Min(best, d)
		}
	}
	return 2 * n * n * n / best / 1e9
}

// BenchmarkSampleSentences: sentences per second of `lebm sample` on the embedded preset: the prior chain
// (K0 = 60) for 100 chains, then ancestral decoding.
func BenchmarkSampleSentences(b *testing.B) {
	backend, err := engine.NewBackend(os.Getenv("LEBM_BACKEND"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := Preset("embedded-paper")
	c := corpora.Embedded(EmbeddedSeed)
	m, err := NewModel(backend, cfg, corpora.BuildVocab(c.Train, 0, 1))
	if err != nil {
		b.Fatal(err)
	}
	const n = 100
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z, err := m.SamplePrior(n, cfg.K0, cfg.S0, rng, -1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Decode(z, n, DecodeOptions{Method: Sample, Temperature: 1}, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "sentences/s")
}

// BenchmarkLMIteration: one training iteration of the LSTM language model behind reverse and forward PPL
// (embedded preset sizes).
func BenchmarkLMIteration(b *testing.B) {
	backend, err := engine.NewBackend(os.Getenv("LEBM_BACKEND"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := Preset("embedded-paper")
	c := corpora.Embedded(EmbeddedSeed)
	vocab := corpora.BuildVocab(c.Train, 0, 1)
	lm, err := NewLM(backend, DefaultLMConfig(cfg), vocab)
	if err != nil {
		b.Fatal(err)
	}
	train, _ := Encode(c, vocab, cfg.MaxLen, "train")
	if _, err := lm.TrainStep(train); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := lm.TrainStep(train); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBLEUAndKL: corpus BLEU-4 and word KL of 1000 sentences against the 400 test sentences.
func BenchmarkBLEUAndKL(b *testing.B) {
	c := corpora.Embedded(EmbeddedSeed)
	hyps := c.Train[:1000]
	for i := 0; i < b.N; i++ {
		textmetrics.CorpusBLEU(hyps, c.Test, 4)
		textmetrics.KLUnigram(c.Test, hyps, 1)
	}
}
