package text

import (
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// TestPersistentTagsFollowExamples: with K1 = 0 a chain returns its start, so if every example's state is
// tagged with its own index, the tags must come back to the same examples on every visit, through the
// shuffled batch orders of several epochs (and the bucket-filling repeats).
func TestPersistentTagsFollowExamples(t *testing.T) {
	cfg := smallConfig()
	cfg.PosteriorInit, cfg.K1, cfg.K0 = learn.InitPersistent, 0, 2
	full, _ := newTrainer(t, cfg)
	tr, err := NewTrainer(full.Model, corpora.NewDatasetFromIDs(full.Data.Examples[:203], cfg.MaxLen), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := tr.Persist
	if p == nil || p.N != len(tr.Data.Examples) {
		t.Fatal("trainer has no persistent store of the training-set size")
	}
	for i := 0; i < p.N; i++ {
		for j := 0; j < p.D; j++ {
			p.Z[i*p.D+j] = float32(i) + float32(j)/100
		}
		p.Seen[i] = true
	}
	steps := 3 * (p.N/cfg.Batch + 1) // about three epochs
	for s := 0; s < steps; s++ {
		if _, err := tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if tr.batches.Epoch < 2 {
		t.Fatalf("only reached epoch %d", tr.batches.Epoch)
	}
	for i := 0; i < p.N; i++ {
		for j := 0; j < p.D; j++ {
			if want := float32(i) + float32(j)/100; p.Z[i*p.D+j] != want {
				t.Fatalf("example %d dim %d holds %v, want its own tag %v", i, j, p.Z[i*p.D+j], want)
			}
		}
	}
}
