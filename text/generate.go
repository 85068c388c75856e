package text

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/corpora"
)

// Decoding methods.
const (
	Greedy = "greedy" // most probable next token at every step
	Sample = "sample" // ancestral sampling at a temperature
	Beam   = "beam"   // beam search on the sentence log-probability
)

// DecodeOptions say how sentences are decoded from z (the run.Decoding that sample, reconstruct and
// interpolate requests carry).
type DecodeOptions = run.Decoding

// stepper runs the decoder one step at a time: (z, h, c, tokens) -> (h', c', log p(next)).
type stepper struct {
	start, step *model.Exec
}

func (m *Model) stepper() (*stepper, error) {
	if m.decodeSteps != nil {
		return m.decodeSteps, nil
	}
	start, err := model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, z *graph.Node) []*graph.Node {
		s := m.Decoder.Start(z)
		return []*graph.Node{s.H, s.C}
	})
	if err != nil {
		return nil, err
	}
	step, err := model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		s := m.Decoder.Start(in[0])
		s.H, s.C = in[1], in[2]
		s = m.Decoder.Advance(s, m.Decoder.InputProjection(in[3]))
		return []*graph.Node{s.H, s.C, m.Decoder.LogProbs(s.H)}
	})
	if err != nil {
		return nil, err
	}
	m.decodeSteps = &stepper{start: start, step: step}
	return m.decodeSteps, nil
}

// Decode turns n latent codes z (flat [n*d]) into sentences (word ids without <bos>/<eos>). <pad> and
// <bos> are never produced. rng is used by Sample only.
func (m *Model) Decode(z []float32, n int, opt DecodeOptions, rng *rand.Rand) ([][]int, error) {
	if opt.MaxWords <= 0 {
		opt.MaxWords = m.Config.WordLimit()
	}
	if err := (learn.Memory{Bytes: float64(n) * float64(opt.MaxWords) * 8,
		What: fmt.Sprintf("%d sentences of up to %d words (--max-words)", n, opt.MaxWords)}).Check(); err != nil {
		return nil, err
	}
	switch opt.Method {
	case Greedy, Sample:
		if opt.Method == Sample && !run.ValidTemperature(opt.Temperature) {
			return nil, fmt.Errorf("sampling temperature must be positive and finite in float32 (as must be its inverse), got %g", opt.Temperature)
		}
		var out [][]int // SampleChunk rows at a time: a decoding step holds [rows, V] logits
		d := m.Config.ZDim
		for start := 0; start < n; start += SampleChunk {
			k := min(SampleChunk, n-start)
			chunk, err := m.decodeAncestral(z[start*d:(start+k)*d], k, opt, rng)
			if err != nil {
				return nil, err
			}
			out = append(out, chunk...)
		}
		return out, nil
	case Beam:
		if opt.BeamWidth < 1 {
			return nil, fmt.Errorf("beam width must be at least 1, got %d", opt.BeamWidth)
		}
		out := make([][]int, n)
		d := m.Config.ZDim
		for i := 0; i < n; i++ {
			best, err := m.beamSearch(z[i*d:(i+1)*d], opt)
			if err != nil {
				return nil, err
			}
			out[i] = best
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown decoding method %q (expected %s, %s or %s)", opt.Method, Greedy, Sample, Beam)
}

// run calls the step graph for rows with latent codes z [n*d], states h, c [n*H] and tokens [n]; a NaN or
// +Inf log-probability (a diverged model) is an error.
func (st *stepper) run(z []float32, h, c *tensors.Tensor, tokens []int32, n, d int) (*tensors.Tensor, *tensors.Tensor, []float32, error) {
	out, err := st.step.Exec(tensors.FromFlatDataAndDimensions(z, n, d), h, c, tensors.FromFlatDataAndDimensions(tokens, n))
	if err != nil {
		return nil, nil, nil, err
	}
	lp := tensors.MustCopyFlatData[float32](out[2])
	return out[0], out[1], lp, finiteLogProbs(lp)
}

// finiteLogProbs refuses log-probabilities with a NaN or +Inf (a diverged model's), which would otherwise
// decode to arbitrary words.
func finiteLogProbs(lp []float32) error {
	for _, v := range lp {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 1) {
			return fmt.Errorf("decoding: the decoder's log-probabilities are not finite (%v): the model's parameters have diverged; "+
				"decode from an earlier checkpoint (a step-N directory of the run)", v)
		}
	}
	return nil
}

func (m *Model) decodeAncestral(z []float32, n int, opt DecodeOptions, rng *rand.Rand) ([][]int, error) {
	st, err := m.stepper()
	if err != nil {
		return nil, err
	}
	d, V := m.Config.ZDim, m.Vocab.Size()
	init, err := st.start.Exec(tensors.FromFlatDataAndDimensions(z, n, d))
	if err != nil {
		return nil, err
	}
	h, c := init[0], init[1]
	tokens := make([]int32, n)
	for i := range tokens {
		tokens[i] = corpora.BosID
	}
	out := make([][]int, n)
	done := make([]bool, n)
	probs := make([]float64, V)
	for t := 0; t <= opt.MaxWords; t++ {
		var lp []float32
		h, c, lp, err = st.run(z, h, c, tokens, n, d)
		if err != nil {
			return nil, err
		}
		remaining := 0
		for i := 0; i < n; i++ {
			if done[i] {
				continue
			}
			row := lp[i*V : (i+1)*V]
			var next int
			if t == opt.MaxWords {
				next = corpora.EosID
			} else if opt.Method == Greedy {
				next = argmaxAllowed(row)
			} else {
				next = sampleAllowed(row, opt.Temperature, probs, rng)
			}
			if next == corpora.EosID {
				done[i] = true
				continue
			}
			out[i] = append(out[i], next)
			tokens[i] = int32(next)
			remaining++
		}
		if remaining == 0 {
			break
		}
	}
	return out, nil
}

// allowed says whether the decoder may emit id (never <pad> or <bos>).
func allowed(id int) bool { return id != corpora.PadID && id != corpora.BosID }

func argmaxAllowed(row []float32) int {
	best, bestV := -1, float32(math.Inf(-1))
	for id, v := range row {
		if allowed(id) && v > bestV {
			best, bestV = id, v
		}
	}
	return best
}

func sampleAllowed(row []float32, temperature float64, probs []float64, rng *rand.Rand) int {
	mx := math.Inf(-1)
	for id, v := range row {
		if allowed(id) {
			mx = math.Max(mx, float64(v)/temperature)
		}
	}
	var total float64
	for id, v := range row {
		probs[id] = 0
		if allowed(id) {
			probs[id] = math.Exp(float64(v)/temperature - mx)
			total += probs[id]
		}
	}
	u := rng.Float64() * total
	last := corpora.EosID
	for id, p := range probs {
		if p == 0 {
			continue
		}
		last = id
		u -= p
		if u < 0 {
			return id
		}
	}
	return last
}

type hypothesis struct {
	words []int
	score float64 // sum of log-probabilities, <eos> included once finished
	h, c  []float32
}

// beamSearch returns the most probable sentence found by a beam of opt.BeamWidth hypotheses: at each
// step every live hypothesis is extended by every allowed token, hypotheses ending in <eos> are set
// aside as finished, and the BeamWidth best live ones are kept. It stops when no live hypothesis can
// beat the best finished one (scores only decrease) or at MaxWords (then <eos> is forced).
func (m *Model) beamSearch(z []float32, opt DecodeOptions) ([]int, error) {
	st, err := m.stepper()
	if err != nil {
		return nil, err
	}
	d, V, H := m.Config.ZDim, m.Vocab.Size(), m.Config.HiddenDim
	init, err := st.start.Exec(tensors.FromFlatDataAndDimensions(z, 1, d))
	if err != nil {
		return nil, err
	}
	live := []hypothesis{{h: tensors.MustCopyFlatData[float32](init[0]), c: tensors.MustCopyFlatData[float32](init[1])}}
	var best *hypothesis
	for t := 0; t <= opt.MaxWords && len(live) > 0; t++ {
		n := len(live)
		zs := make([]float32, 0, n*d)
		hs := make([]float32, 0, n*H)
		cs := make([]float32, 0, n*H)
		tokens := make([]int32, n)
		for i, hy := range live {
			zs = append(zs, z...)
			hs = append(hs, hy.h...)
			cs = append(cs, hy.c...)
			tokens[i] = corpora.BosID
			if len(hy.words) > 0 {
				tokens[i] = int32(hy.words[len(hy.words)-1])
			}
		}
		hT, cT, lp, err := st.run(zs, tensors.FromFlatDataAndDimensions(hs, n, H), tensors.FromFlatDataAndDimensions(cs, n, H), tokens, n, d)
		if err != nil {
			return nil, err
		}
		hNew, cNew := tensors.MustCopyFlatData[float32](hT), tensors.MustCopyFlatData[float32](cT)
		var cand []hypothesis
		for i, hy := range live {
			for id := 0; id < V; id++ {
				if !allowed(id) || (t == opt.MaxWords && id != corpora.EosID) {
					continue
				}
				score := hy.score + float64(lp[i*V+id])
				if id == corpora.EosID {
					if best == nil || score > best.score {
						best = &hypothesis{words: append([]int(nil), hy.words...), score: score}
					}
					continue
				}
				cand = append(cand, hypothesis{words: append(append([]int(nil), hy.words...), id), score: score,
					h: hNew[i*H : (i+1)*H], c: cNew[i*H : (i+1)*H]})
			}
		}
		sort.SliceStable(cand, func(a, b int) bool { return cand[a].score > cand[b].score })
		if len(cand) > opt.BeamWidth {
			cand = cand[:opt.BeamWidth]
		}
		if best != nil && (len(cand) == 0 || cand[0].score <= best.score) {
			break
		}
		live = cand
	}
	if best == nil {
		return nil, fmt.Errorf("beam search found no finished sentence")
	}
	return best.words, nil
}

// SampleSentences draws n sentences from the model: z from the prior (the prior chain of k0 steps of size
// s0 from N(0, I); exact N(0, I) draws for the gaussian prior), then ancestral decoding at temperature.
// It returns the word ids and the words of each.
func (m *Model) SampleSentences(n, k0 int, s0, temperature float64, rng *rand.Rand) ([][]int, [][]string, error) {
	if err := m.sampleMemory(n).Check(); err != nil {
		return nil, nil, err
	}
	var ids [][]int
	var words [][]string
	for len(ids) < n { // SampleChunk at a time: a prior chain and a decoding of that many rows
		k := min(SampleChunk, n-len(ids))
		z, err := m.SamplePrior(k, k0, s0, rng, -1)
		if err != nil {
			return nil, nil, err
		}
		chunk, err := m.Decode(z, k, DecodeOptions{Method: Sample, Temperature: temperature}, rng)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range chunk {
			ids, words = append(ids, s), append(words, m.Vocab.Decode(s))
		}
	}
	return ids, words, nil
}

// PosteriorMeans returns the posterior means E[z|x] (flat [n*d]) of the sentences of ds: the average of
// ec.Chains posterior chains of ec.K1 steps of size ec.S1 per sentence, from N(0, I) (from the inference
// network's draws when the model has one): the core's PosteriorMeans.
func (m *Model) PosteriorMeans(ds *corpora.Dataset, ec EvalConfig) ([]float32, error) {
	if ec.Chains < 1 || ec.RowsPerCall < ec.Chains {
		return nil, fmt.Errorf("the posterior mean needs at least one chain per sentence and rows per call >= chains, got %d and %d", ec.Chains, ec.RowsPerCall)
	}
	idx := make([]int, len(ds.Examples))
	for i := range idx {
		idx[i] = i
	}
	rng := rand.New(rand.NewPCG(ec.Seed, 0x3ea5))
	return m.Core.PosteriorMeans(sentences{ds, m.Vocab.Size()}, idx, ec.Estimator, rng, m.chainStart())
}
