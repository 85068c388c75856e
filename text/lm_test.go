package text

import (
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/engine"
)

// TestLMLearnsAndRoundTrips: a small LSTM language model beats the unigram model on the embedded corpus,
// and a saved and reloaded model scores the same.
func TestLMLearnsAndRoundTrips(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := LoadCorpus("")
	cfg := LMConfig{EmbedDim: 16, HiddenDim: 32, LR: 3e-3, Clip: 5, Batch: 32, MaxLen: 16, MinCount: 1, Seed: 1}
	vocab := corpora.BuildVocab(c.Train, 0, 1)
	lm, err := NewLM(backend, cfg, vocab)
	if err != nil {
		t.Fatal(err)
	}
	train, _ := Encode(c, vocab, cfg.MaxLen, "train")
	test, _ := Encode(c, vocab, cfg.MaxLen, "test")
	for i := 0; i < 150; i++ {
		if _, err := lm.TrainStep(train); err != nil {
			t.Fatal(err)
		}
	}
	score, err := lm.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	uni := UnigramBaseline(train, test, vocab.Size(), 0)
	t.Logf("LM after 150 iterations: test NLL %.3f PPL %.3f; unigram NLL %.3f PPL %.3f", score.NLL, score.PPL, uni.NLL, uni.PPL)
	if score.PPL > 0.5*uni.PPL || score.Tokens != test.Tokens {
		t.Fatalf("LM PPL %.3f not well below the unigram's %.3f (tokens %d/%d)", score.PPL, uni.PPL, score.Tokens, test.Tokens)
	}
	run := t.TempDir()
	if _, err := SaveLM(run, lm); err != nil {
		t.Fatal(err)
	}
	lm2, err := LoadLM(backend, run)
	if err != nil {
		t.Fatal(err)
	}
	score2, err := lm2.Evaluate(test)
	if err != nil || score2 != score || lm2.Step != 150 {
		t.Fatalf("reloaded LM scores %+v (step %d), want %+v: %v", score2, lm2.Step, score, err)
	}
}
