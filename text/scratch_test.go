package text

import (
	"os"
	"strconv"
	"testing"
)

func TestScratchSeed(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	cfg := smallConfig()
	cfg.Prior = os.Getenv("PRIOR")
	cfg.Seed, _ = strconv.ParseUint(os.Getenv("SEED"), 10, 64)
	cfg.K0, cfg.K1, cfg.Batch = 20, 10, 32
	lr, _ := strconv.ParseFloat(os.Getenv("LR"), 64)
	cfg.LRGen = lr
	iters, _ := strconv.Atoi(os.Getenv("ITERS"))
	tr, c := newTrainer(t, cfg)
	for i := 0; i < iters; i++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	test, _ := Encode(c, tr.Model.Vocab, cfg.MaxLen, "test")
	ec := DefaultEvalConfig(cfg)
	ec.Chains, ec.ImportanceSamples, ec.LogZSamples, ec.FloorSentences = 8, 32, 20000, 16
	res, err := tr.Model.Evaluate(test, "test", ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RESULT prior=%s seed=%d lr=%g iters=%d NLL %.3f recon %.3f MI %.3f floor %.3f", cfg.Prior, cfg.Seed, lr, iters, res.NLL, res.Recon, res.MI, res.MIFloor)
}
