package corpora

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// BucketWidth is the granularity of length buckets: a batch's time dimension is the sentence length
// (words + 1) rounded up to a multiple of BucketWidth, capped at MaxLen-1. Each bucket is one compiled
// graph shape, so the number of buckets stays small (GoMLX caches at most 32 shapes per Exec).
const BucketWidth = 8

// Batch is a fixed-size batch of sentences of one length bucket, laid out row-major [Size, Len].
//
//	Inputs:  <bos> w1 ... wn <pad>...   (teacher forcing inputs)
//	Targets: w1 ... wn <eos> <pad>...   (predicted tokens)
//	Mask:    1 where Targets is a predicted token, 0 on padding
//
// Rows[i] is the index of row i's example in its data set, or -1 for a padding row (all-zero mask), used to
// fill the last batch of a bucket in evaluation.
type Batch struct {
	Size, Len int
	Inputs    []int32
	Targets   []int32
	Mask      []float32
	Rows      []int
}

// Dataset is a split encoded to ids, with its examples grouped by length bucket. A sentence is never cut:
// with a length limit (MaxLen), the sentences longer than it are left out of the set and counted (LeftOut).
type Dataset struct {
	Examples [][]int // word ids, without <bos>/<eos>
	MaxLen   int     // maximum tokens per sentence including <bos> and <eos>
	Buckets  []int   // distinct bucket lengths, increasing
	byBucket map[int][]int
	Tokens   int // predicted tokens: words + one <eos> per sentence
	LeftOut  int // sentences of the split longer than MaxLen, left out of Examples
}

// UnknownShare is the fraction of the words of the first n examples (n <= 0: all) that are <unk> (0 for
// examples without words).
func (d *Dataset) UnknownShare(n int) float64 {
	examples := d.Examples
	if n > 0 && n < len(examples) {
		examples = examples[:n]
	}
	var words, unk int
	for _, ex := range examples {
		for _, id := range ex {
			words++
			if id == UnkID {
				unk++
			}
		}
	}
	if words == 0 {
		return 0
	}
	return float64(unk) / float64(words)
}

// LeftOutShare is the fraction of the split's sentences that MaxLen left out.
func (d *Dataset) LeftOutShare() float64 {
	if n := len(d.Examples) + d.LeftOut; n > 0 {
		return float64(d.LeftOut) / float64(n)
	}
	return 0
}

// Whole is the maxLen that leaves nothing out: every sentence is kept, MaxLen becomes the longest
// sentence's words + 2.
const Whole = 0

// NewDataset encodes sentences with vocab, leaving out (not cutting) those of more than maxLen-2 words
// (maxLen = Whole: none).
func NewDataset(sentences [][]string, vocab *Vocab, maxLen int) (*Dataset, error) {
	if maxLen != Whole && maxLen < 3 {
		return nil, fmt.Errorf("maximum length %d too small: need at least 3 tokens (<bos>, a word, <eos>)", maxLen)
	}
	examples := make([][]int, len(sentences))
	for i, s := range sentences {
		examples[i] = vocab.Encode(s)
	}
	return NewDatasetFromIDs(examples, maxLen), nil
}

// NewDatasetFromIDs wraps already-encoded sentences (word ids without <bos>/<eos>), leaving out those
// longer than maxLen like NewDataset.
func NewDatasetFromIDs(examples [][]int, maxLen int) *Dataset {
	if maxLen == Whole {
		maxLen = 3
		for _, ex := range examples {
			maxLen = max(maxLen, len(ex)+2)
		}
	}
	d := &Dataset{MaxLen: maxLen, byBucket: map[int][]int{}}
	for _, ex := range examples {
		if len(ex) > maxLen-2 {
			d.LeftOut++
			continue
		}
		d.Examples = append(d.Examples, ex)
	}
	d.index()
	return d
}

func (d *Dataset) index() {
	d.Tokens = 0
	for i, ex := range d.Examples {
		b := BucketLen(len(ex)+1, d.MaxLen)
		d.byBucket[b] = append(d.byBucket[b], i)
		d.Tokens += len(ex) + 1
	}
	d.Buckets = d.Buckets[:0]
	for b := range d.byBucket {
		d.Buckets = append(d.Buckets, b)
	}
	slices.Sort(d.Buckets)
}

// First is a dataset of d's first n examples (all of them when n is 0 or more than d holds), whole.
func (d *Dataset) First(n int) *Dataset {
	if n <= 0 || n > len(d.Examples) {
		n = len(d.Examples)
	}
	return NewDatasetFromIDs(d.Examples[:n], Whole)
}

// BucketLen is the time dimension for a sequence of n inputs (words + <bos>).
func BucketLen(n, maxLen int) int {
	t := (n + BucketWidth - 1) / BucketWidth * BucketWidth
	if t > maxLen-1 {
		t = maxLen - 1
	}
	if t < n {
		t = n
	}
	return t
}

// MakeBatch lays out the examples rows (indices into d.Examples, -1 for padding rows) as a batch of time
// length T.
func (d *Dataset) MakeBatch(rows []int, T int) *Batch {
	B := len(rows)
	b := &Batch{Size: B, Len: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T),
		Mask: make([]float32, B*T), Rows: slices.Clone(rows)}
	for r, idx := range rows {
		if idx < 0 {
			continue
		}
		ex := d.Examples[idx]
		b.Inputs[r*T] = BosID
		for t, w := range ex {
			b.Inputs[r*T+t+1] = int32(w)
			b.Targets[r*T+t] = int32(w)
			b.Mask[r*T+t] = 1
		}
		b.Targets[r*T+len(ex)] = EosID
		b.Mask[r*T+len(ex)] = 1
	}
	return b
}

// EvalBatches covers every example exactly once, bucket by bucket, in batches of size B; the last batch of
// each bucket is filled with padding rows (-1).
func (d *Dataset) EvalBatches(B int) []*Batch {
	var out []*Batch
	for _, T := range d.Buckets {
		idx := d.byBucket[T]
		for start := 0; start < len(idx); start += B {
			rows := make([]int, B)
			for i := range rows {
				rows[i] = -1
				if start+i < len(idx) {
					rows[i] = idx[start+i]
				}
			}
			out = append(out, d.MakeBatch(rows, T))
		}
	}
	return out
}

// TrainOrder is the deterministic batch order of one training epoch: each bucket's examples shuffled and
// cut into batches of B (a bucket's last batch is completed with other examples of the same bucket, drawn
// at random), then the batches shuffled. It depends only on (seed, epoch), so that resuming at
// (epoch, position) replays exactly the batches an uninterrupted run would have seen.
func (d *Dataset) TrainOrder(seed uint64, epoch int, B int) [][]int {
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)+0x9e3779b97f4a7c15))
	var batches [][]int
	for _, T := range d.Buckets {
		idx := slices.Clone(d.byBucket[T])
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for start := 0; start < len(idx); start += B {
			rows := make([]int, B)
			for i := range rows {
				if start+i < len(idx) {
					rows[i] = idx[start+i]
				} else {
					rows[i] = idx[rng.IntN(len(idx))]
				}
			}
			batches = append(batches, rows)
		}
	}
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	return batches
}

// Cursor walks the training order of TrainOrder epoch after epoch. Epoch and Pos are its whole state
// (a checkpoint saves them); the current epoch's order is derived from them when needed.
type Cursor struct {
	Seed       uint64
	Batch      int
	Epoch, Pos int
	order      [][]int
}

// Next returns the next training batch of d and advances the cursor, moving to the next epoch at the end
// of one.
func (c *Cursor) Next(d *Dataset) *Batch {
	for {
		if c.order == nil {
			c.order = d.TrainOrder(c.Seed, c.Epoch, c.Batch)
		}
		if c.Pos < len(c.order) {
			rows := c.order[c.Pos]
			c.Pos++
			return d.MakeBatch(rows, d.BucketOf(rows[0]))
		}
		c.Epoch++
		c.Pos = 0
		c.order = nil
	}
}

// BucketOf returns the bucket length of example i.
func (d *Dataset) BucketOf(i int) int { return BucketLen(len(d.Examples[i])+1, d.MaxLen) }
