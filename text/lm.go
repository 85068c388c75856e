package text

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/optim"
	"github.com/lebm/lebm/learn"
)

// LMConfig configures a plain LSTM language model: the decoder of DESIGN.md without a latent code. It is
// the baseline latent models are compared with, and the scorer of forward and reverse perplexity.
type LMConfig struct {
	EmbedDim   int     `json:"embed_dim"`
	HiddenDim  int     `json:"hidden_dim"`
	LR         float64 `json:"lr"`
	Clip       float64 `json:"clip"`
	Batch      int     `json:"batch"`
	MaxLen     int     `json:"max_len"`
	VocabSize  int     `json:"vocab_size"`
	MinCount   int     `json:"min_count"`
	Iterations int     `json:"iterations"`
	Seed       uint64  `json:"seed"`
	Data       string  `json:"data"` // corpus directory it was trained on ("" = embedded; "samples" for reverse PPL)
}

// DefaultLMConfig mirrors a text preset's decoder and optimiser.
func DefaultLMConfig(c Config) LMConfig {
	return LMConfig{EmbedDim: c.EmbedDim, HiddenDim: c.HiddenDim, LR: c.LRGen, Clip: c.GenClip, Batch: c.Batch,
		MaxLen: c.MaxLen, VocabSize: c.VocabSize, MinCount: c.MinCount, Iterations: c.Iterations, Seed: c.Seed}
}

// Validate checks the configuration, naming the flag of `lebm lm train` behind each value; real values
// must be finite in float32, the precision the model computes in.
func (c *LMConfig) Validate() error {
	var v learn.Validation
	v.Require(c.EmbedDim > 0, "--embed must be positive, got %d", c.EmbedDim)
	v.Require(c.HiddenDim > 0, "--hidden must be positive, got %d", c.HiddenDim)
	v.Require(learn.PositiveFloat32(c.LR), "--lr must be positive and finite in float32, got %v", c.LR)
	v.Require(c.Clip >= 0 && learn.Float32(c.Clip), "the gradient clip must be 0 (none) or positive, finite in float32, got %v", c.Clip)
	v.Require(c.Batch > 0, "--batch must be positive, got %d", c.Batch)
	v.Require(c.MaxLen == corpora.Whole || c.MaxLen >= 3, "--max-len must be 0 (whole sentences) or at least 3 (<bos>, a word, <eos>), got %d", c.MaxLen)
	v.Require(c.VocabSize == 0 || c.VocabSize > 4, "--vocab-size must be 0 (no limit) or more than the 4 special tokens, got %d", c.VocabSize)
	v.Require(c.MinCount >= 1, "--min-count must be 1 or more, got %d", c.MinCount)
	v.Require(c.Iterations >= 0, "--iterations must be 0 or more, got %d", c.Iterations)
	if err := v.Err("invalid language-model configuration"); err != nil {
		return err
	}
	if c.VocabSize > 0 {
		return c.memory(c.VocabSize).Check()
	}
	return nil
}

// memory is what training the language model needs with a vocabulary of v words: the decoder's
// parameters with Adam's state and a batch's activations (logits and LSTM states per token), forward and
// backward.
func (c *LMConfig) memory(v int) learn.Memory {
	lat := Config{EmbedDim: c.EmbedDim, HiddenDim: c.HiddenDim, MaxLen: c.MaxLen, Config: learn.Config{ZDim: 1}}
	b := lat.Parameters(v)*learn.BytesPerParameter + 2*float64(c.Batch)*lat.rowBytes(v, lat.callLen())
	return learn.Memory{Bytes: b, What: fmt.Sprintf("the language model (--batch %d%s)", c.Batch, lat.sizes(v, lat.callLen()))}
}

// LM is an LSTM language model. It is the Decoder with z fixed at zero (a 1-dimensional z that is always 0,
// so W_z and W_h never contribute and h_0 = tanh(b_h) is learned): the same code, without a latent.
type LM struct {
	Config  LMConfig
	Vocab   *corpora.Vocab
	Backend compute.Backend
	Ctx     *model.Scope
	Decoder *Decoder
	opt     *optim.Adam
	update  *model.Exec
	score   *model.Exec
	Step    int
	batches corpora.Cursor
}

// NewLM creates a language model with fresh variables.
func NewLM(backend compute.Backend, cfg LMConfig, vocab *corpora.Vocab) (*LM, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.memory(vocab.Size()).Check(); err != nil {
		return nil, err
	}
	scope := model.NewStore().RootScope()
	lm := &LM{Config: cfg, Vocab: vocab, Backend: backend, Ctx: scope, batches: corpora.Cursor{Seed: cfg.Seed, Batch: cfg.Batch}}
	lm.Decoder = NewDecoder(scope, rand.New(rand.NewPCG(cfg.Seed, 0x1418)), vocab.Size(), cfg.EmbedDim, cfg.HiddenDim, 1)
	var err error
	if lm.opt, err = optim.NewAdam(scope.Store(), "lm", lm.Decoder.Variables(), cfg.LR, learn.DefaultBeta1, learn.DefaultBeta2, cfg.Clip); err != nil {
		return nil, err
	}
	zero := func(g *graph.Graph, n int) *graph.Node { return graph.Zeros(g, shapesOf(n)) }
	if lm.update, err = model.NewExec(backend, scope.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		logp := lm.Decoder.Fitting().LogPX(zero(in[0].Graph(), in[0].Shape().Dimensions[0]), in[0], in[1], in[2])
		loss := graph.Neg(graph.ReduceAllMean(logp))
		lm.opt.Minimize(loss)
		return []*graph.Node{graph.ReduceAllSum(logp)}
	}); err != nil {
		return nil, err
	}
	if lm.score, err = model.NewExec(backend, scope.Store(), func(_ *model.Scope, in []*graph.Node) *graph.Node {
		return lm.Decoder.LogPX(zero(in[0].Graph(), in[0].Shape().Dimensions[0]), in[0], in[1], in[2])
	}); err != nil {
		return nil, err
	}
	lm.update.SetMaxCache(64)
	lm.score.SetMaxCache(64)
	return lm, nil
}

// TrainStep runs one Adam step on the next batch of data and returns the loss per predicted token.
func (lm *LM) TrainStep(data *corpora.Dataset) (float64, error) {
	b := lm.batches.Next(data)
	out, err := lm.update.Exec(batchArgs(b)...)
	if err != nil {
		return 0, err
	}
	tokens := 0.0
	for _, v := range b.Mask {
		tokens += float64(v)
	}
	lm.Step++
	loss := -float64(tensors.MustCopyFlatData[float32](out[0])[0]) / tokens
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("language model: non-finite loss at iteration %d", lm.Step)
	}
	return loss, nil
}

// LMScore is a language model's perplexity on a data set.
type LMScore struct {
	Sentences int     `json:"sentences"`
	Tokens    int     `json:"tokens"` // predicted tokens: words + <eos>
	NLL       float64 `json:"nll"`    // nats per sentence
	PPL       float64 `json:"ppl"`    // exp(sum NLL / tokens)
}

// Evaluate computes the exact log-likelihood of every sentence of data (no latent: no estimator).
func (lm *LM) Evaluate(data *corpora.Dataset) (LMScore, error) {
	var sum float64
	for _, b := range data.EvalBatches(lm.Config.Batch) {
		out, err := lm.score.Exec(batchArgs(b)...)
		if err != nil {
			return LMScore{}, err
		}
		lp := tensors.MustCopyFlatData[float32](out[0])
		for r, idx := range b.Rows {
			if idx >= 0 {
				sum += float64(lp[r])
			}
		}
	}
	n := len(data.Examples)
	return LMScore{Sentences: n, Tokens: data.Tokens, NLL: -sum / float64(n), PPL: math.Exp(-sum / float64(data.Tokens))}, nil
}

// lmFiles of an LM checkpoint.
const lmConfigFile = "lm.json"

// SaveLM writes a language-model checkpoint into runDir atomically.
func SaveLM(runDir string, lm *LM) (string, error) {
	cfg, err := json.MarshalIndent(lm.Config, "", " ")
	if err != nil {
		return "", err
	}
	tok, err := lm.Vocab.TokenizerJSON()
	if err != nil {
		return "", err
	}
	return ckpt.Save(runDir, lm.Step, lm.Ctx, map[string][]byte{lmConfigFile: cfg, TokenizerFile: tok}, learn.DefaultKeep)
}

// LoadLM opens a language-model checkpoint.
func LoadLM(backend compute.Backend, path string) (*LM, error) {
	dir, step, err := ckpt.Open(path)
	if err != nil {
		return nil, err
	}
	var cfg LMConfig
	if err := ckpt.ReadJSON(filepath.Join(dir, lmConfigFile), &cfg); err != nil {
		return nil, fmt.Errorf("%s: not a language-model checkpoint: %w", dir, err)
	}
	vocab, _, err := corpora.LoadTokenizer(filepath.Join(dir, TokenizerFile))
	if err != nil {
		return nil, err
	}
	lm, err := NewLM(backend, cfg, vocab)
	if err != nil {
		return nil, err
	}
	if err := ckpt.LoadVariables(dir, lm.Ctx, optim.Legacy(lm.opt)); err != nil {
		return nil, err
	}
	lm.Step = step
	return lm, nil
}

func shapesOf(n int) shapes.Shape { return shapes.Make(dtypes.Float32, n, 1) }
