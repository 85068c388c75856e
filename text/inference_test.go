package text

import (
	"math"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"
)

func TestStepSchedule(t *testing.T) {
	c := learn.StepSchedule(0.1, 0)
	if c(0, 20) != 0.1 || c(19, 20) != 0.1 {
		t.Fatal("constant schedule")
	}
	g := learn.StepSchedule(0.4, 0.1)
	if math.Abs(g(0, 5)-0.4) > 1e-12 || math.Abs(g(4, 5)-0.1) > 1e-12 || math.Abs(g(2, 5)-0.2) > 1e-12 {
		t.Fatalf("geometric schedule: %v %v %v", g(0, 5), g(2, 5), g(4, 5))
	}
	if g(0, 1) != 0.4 {
		t.Fatal("one-step chain uses the first step size")
	}
}

func TestWarmups(t *testing.T) {
	cfg := smallConfig()
	cfg.K1, cfg.K1Warmup, cfg.K1WarmupIters, cfg.PriorWeightWarmup = 20, 100, 3, 4
	for _, c := range []struct {
		iter   int
		k1     int
		lambda float64
	}{{1, 100, 0.25}, {3, 100, 0.75}, {4, 20, 1}, {50, 20, 1}} {
		if k := cfg.PosteriorSteps(c.iter); k != c.k1 {
			t.Errorf("iteration %d: K1 %d want %d", c.iter, k, c.k1)
		}
		if l := cfg.PriorWeight(c.iter); math.Abs(l-c.lambda) > 1e-12 {
			t.Errorf("iteration %d: lambda %v want %v", c.iter, l, c.lambda)
		}
	}
	plain := smallConfig()
	if plain.PosteriorSteps(1) != plain.K1 || plain.PriorWeight(1) != 1 {
		t.Error("without warm-ups the paper's chain is used from the first iteration")
	}
}

func TestInferenceConfigValidation(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.PosteriorInit = "amortised" }, "--posterior-init must be"},
		{func(c *Config) { c.PriorInit = "encoder" }, "--prior-init must be"},
		{func(c *Config) { c.PriorInit, c.Prior = learn.InitSynthesis, "gaussian" }, "--prior-init synthesis needs --prior ebm"},
		{func(c *Config) { c.S1End = -1 }, "--s1-end must be 0"},
		{func(c *Config) { c.EncoderRate = "prior" }, "--encoder-rate must be"},
		{func(c *Config) { c.FreeBits = 0.1 }, "--free-bits apply to the inference network"},
		{func(c *Config) { c.WordDropout = 1 }, "--word-dropout must be in [0, 1)"},
		{func(c *Config) { c.PriorWeightWarmup = -1 }, "--prior-weight-warmup must be 0 or more"},
		// Values finite in float64 but not in the float32 the model computes in, or NaN.
		{func(c *Config) { c.S0 = 1e300 }, "--s0 must be a step size positive and finite in float32"},
		{func(c *Config) { c.S1 = 1e-50 }, "--s1 must be a step size positive and finite in float32"},
		{func(c *Config) { c.LRGen = 1e300 }, "--lr-gen must be positive and finite in float32"},
		{func(c *Config) { c.LRPrior = math.NaN() }, "--lr-prior must be 0 (a fixed prior) or positive"},
		{func(c *Config) { c.GenClip = math.Inf(1) }, "--clip must be 0 (none) or positive"},
		{func(c *Config) { c.BoWWeight = 1e39 }, "--bow-weight must be 0 or more, finite in float32"},
	} {
		cfg := smallConfig()
		c.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	// Sizes no machine holds are refused with the memory they would need (with the real vocabulary's
	// size: --vocab-size is only a cap, and a large one is fine).
	if have, _ := learn.MachineMemory(); have > 0 {
		for _, mod := range []func(*Config){func(c *Config) { c.ZDim = 1000000000 }, func(c *Config) { c.HiddenDim = 1000000000 },
			func(c *Config) { c.K1Warmup, c.K1WarmupIters = 1000000000, 5 }} {
			cfg := smallConfig()
			mod(&cfg)
			if err := cfg.IterationMemory(1000, 16).Check(); err == nil || !strings.Contains(err.Error(), "more than this machine's") {
				t.Errorf("%v", err)
			}
		}
	}
	capped := smallConfig()
	capped.VocabSize = 5000000
	if err := capped.Validate(); err != nil {
		t.Errorf("--vocab-size 5000000 (a cap): %v", err)
	}
	ok := smallConfig()
	ok.PosteriorInit, ok.PriorInit = learn.InitEncoder, learn.InitSynthesis
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}
