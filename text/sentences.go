package text

import (
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// sentences is a dataset as the estimator's Examples: groups are length buckets (one graph shape each).
type sentences struct{ ds *corpora.Dataset }

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

// CallRows: RowsPerCall up to RowsReferenceLen time steps, fewer for longer buckets.
func (s sentences) CallRows(example, rowsPerCall int) int {
	if T := s.ds.BucketOf(example); T > RowsReferenceLen {
		return max(rowsPerCall*RowsReferenceLen/T, 1)
	}
	return rowsPerCall
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
	return m.Core.FitAndScore(sentences{ds}, idx, ec.Estimator, logZ, rng, score, m.chainStart(), report)
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
