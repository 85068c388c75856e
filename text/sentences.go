package text

import (
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// sentences is a dataset as the estimator's Examples, for a model of v words: groups are length buckets
// (one graph shape each).
type sentences struct {
	ds *corpora.Dataset
	v  int
}

func (s sentences) Groups(idx []int) [][]int {
	order, byBucket := groupByBucket(s.ds, idx)
	out := make([][]int, len(order))
	for i, T := range order {
		out[i] = byBucket[T]
	}
	return out
}

// RowsReferenceLen is the bucket length (time steps) up to which an evaluation call holds
// EvalConfig.RowsPerCall chain rows; a longer bucket of T steps holds RowsPerCall * RowsReferenceLen / T,
// so that a call's activations stay those of RowsPerCall rows of 40 tokens (the length below which 95%
// of PTB's sentences fall) whatever the longest sentence.
const RowsReferenceLen = 40

// CallLogits bounds the output layer's logits a call holds (rows x time steps x words): a large
// vocabulary holds fewer rows per call (PTB's 10k words: at most 83 rows of 40 tokens), so that each
// [rows*T, V] tensor of the call stays within 128 MiB of float32 (256 rows of 40 tokens over 10k words
// were 391 MiB each, and training with diagnoses peaked at 2.9 GiB).
const CallLogits = 1 << 25

// callRows is the chain rows a call holds for sentences of T time steps with rowsPerCall asked for: at
// most rowsPerCall, fewer beyond RowsReferenceLen steps and beyond CallLogits logits; at least 1.
func callRows(rowsPerCall, T, v int) int {
	rows := rowsPerCall
	if T > RowsReferenceLen {
		rows = rowsPerCall * RowsReferenceLen / T
	}
	return max(min(rows, CallLogits/(T*max(v, 1))), 1)
}

// CallRows: callRows for the example's bucket.
func (s sentences) CallRows(example, rowsPerCall int) int {
	return callRows(rowsPerCall, s.ds.BucketOf(example), s.v)
}

func (s sentences) Rows(examples []int, P, size int) []any {
	rows := make([]int, size)
	for r := range rows {
		rows[r] = -1
		if g := r / P; g < len(examples) {
			rows[r] = examples[g]
		}
	}
	return batchArgs(s.ds.MakeBatch(rows, s.ds.BucketOf(examples[0])))
}

// fitAndScore is the core's FitAndScore on sentences idx of ds with the settings of ec.
func (m *Model) fitAndScore(ds *corpora.Dataset, idx []int, ec EvalConfig, logZ float64, rng *rand.Rand, score bool, report func(int)) (*learn.Fit, error) {
	return m.Core.FitAndScore(sentences{ds, m.Vocab.Size()}, idx, ec.Estimator, logZ, rng, score, m.chainStart(), report)
}

// groupByBucket groups the positions of idx (indices into ds) by bucket length, so that each graph call
// has one time length; order lists the buckets in their first appearance.
func groupByBucket(ds *corpora.Dataset, idx []int) (order []int, byBucket map[int][]int) {
	byBucket = map[int][]int{}
	for pos, i := range idx {
		T := ds.BucketOf(i)
		if _, ok := byBucket[T]; !ok {
			order = append(order, T)
		}
		byBucket[T] = append(byBucket[T], pos)
	}
	return order, byBucket
}
