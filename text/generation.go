package text

import (
	"fmt"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/textmetrics"
)

// GenerationConfig says how generation metrics are computed.
type GenerationConfig struct {
	Samples      int     `json:"samples"`       // N sentences drawn from the model
	K0           int     `json:"k0"`            // prior chain steps for the samples
	S0           float64 `json:"s0"`            // prior chain step size
	Temperature  float64 `json:"temperature"`   // decoding: ancestral sampling at this temperature
	LMIterations int     `json:"lm_iterations"` // training iterations of each language model trained here
	// Split names the real sentences the samples are compared with (reverse PPL, BLEU, word KL).
	Split string `json:"split"`
	Seed  uint64 `json:"seed"`
}

// DefaultGenerationConfig draws 1000 samples with the model's prior chain at temperature 1 and compares
// them with the test split.
func DefaultGenerationConfig(cfg Config) GenerationConfig {
	return GenerationConfig{Samples: 1000, K0: cfg.K0, S0: cfg.S0, Temperature: 1, LMIterations: cfg.Iterations, Split: "test", Seed: 1}
}

// Metric is a number with how it was computed.
type Metric struct {
	Value  float64 `json:"value"`
	Method string  `json:"method"`
}

// GenerationResult holds the generation metrics of latent text-model papers.
type GenerationResult struct {
	Settings GenerationConfig `json:"settings"`
	// Sampler says how z was drawn: the prior chain's K0 and s0, or exact N(0, I) draws for a gaussian prior.
	Sampler    string                `json:"sampler"`
	ReversePPL Metric                `json:"reverse_ppl"`
	ForwardPPL Metric                `json:"forward_ppl"`
	BLEU       textmetrics.BLEU      `json:"bleu4"`
	BLEUMethod string                `json:"bleu4_method"`
	KL         textmetrics.UnigramKL `json:"word_kl"`
	KLMethod   string                `json:"word_kl_method"`
	Examples   []string              `json:"examples"` // the first few samples
}

// GenerationMetrics draws gc.Samples sentences (z from the prior chain, ancestral decoding) and computes,
// against test (the real split gc.Split names):
//   - reverse PPL: an LSTM language model trained on the samples, evaluated on test;
//   - forward PPL: the samples scored by realLM, an LSTM language model of the real training data (trained
//     here on train when realLM is nil);
//   - corpus BLEU-4 of the samples against test (all its sentences as references; hypotheses shorter
//     than n words contribute no n-grams, see textmetrics.CorpusBLEU for how NLTK differs);
//   - KL(p_test || p_samples) between word unigram distributions, add-one smoothed.
//
// trainLM trains a language model on a data set (the caller shows progress).
func (m *Model) GenerationMetrics(train, test *corpora.Dataset, realLM *LM, gc GenerationConfig,
	trainLM func(lm *LM, data *corpora.Dataset, label string) error) (*GenerationResult, error) {
	if gc.Samples < 1 {
		return nil, fmt.Errorf("generation metrics need at least one sample")
	}
	rng := rand.New(rand.NewPCG(gc.Seed, 0x6e4e))
	ids, samples, err := m.SampleSentences(gc.Samples, gc.K0, gc.S0, gc.Temperature, rng)
	if err != nil {
		return nil, err
	}
	testWords := make([][]string, len(test.Examples))
	for i, ex := range test.Examples {
		testWords[i] = m.Vocab.Decode(ex)
	}
	res := &GenerationResult{Settings: gc, Sampler: m.Core.PriorSampler(gc.K0, gc.S0)}
	for i := 0; i < min(5, len(samples)); i++ {
		res.Examples = append(res.Examples, corpora.Join(samples[i]))
	}
	lmCfg := DefaultLMConfig(m.Config)
	lmCfg.Iterations = gc.LMIterations

	// Reverse PPL.
	sampleSet := corpora.NewDatasetFromIDs(ids, corpora.Whole)
	lmCfg.Data = "samples"
	rev, err := NewLM(m.Backend, lmCfg, m.Vocab)
	if err != nil {
		return nil, err
	}
	if err := trainLM(rev, sampleSet, "reverse-PPL LM"); err != nil {
		return nil, err
	}
	rs, err := rev.Evaluate(test)
	if err != nil {
		return nil, err
	}
	res.ReversePPL = Metric{rs.PPL, fmt.Sprintf("LSTM LM (embedding %d, hidden %d) trained %d iterations on the %d samples, exact PPL on the %d %s sentences",
		lmCfg.EmbedDim, lmCfg.HiddenDim, lmCfg.Iterations, len(ids), len(test.Examples), gc.Split)}

	// Forward PPL.
	var how string
	if realLM == nil {
		lmCfg.Data = ""
		if realLM, err = NewLM(m.Backend, lmCfg, m.Vocab); err != nil {
			return nil, err
		}
		if err := trainLM(realLM, train, "forward-PPL LM"); err != nil {
			return nil, err
		}
		how = fmt.Sprintf("trained here for %d iterations on", lmCfg.Iterations)
	} else {
		how = fmt.Sprintf("given, trained %d iterations on", realLM.Config.Iterations)
	}
	encoded := make([][]int, len(samples))
	for i, s := range samples {
		encoded[i] = realLM.Vocab.Encode(s)
	}
	fs, err := realLM.Evaluate(corpora.NewDatasetFromIDs(encoded, corpora.Whole))
	if err != nil {
		return nil, err
	}
	res.ForwardPPL = Metric{fs.PPL, fmt.Sprintf("the %d samples scored by an LSTM LM (hidden %d) %s the real training data, exact PPL",
		len(ids), realLM.Config.HiddenDim, how)}

	res.BLEU = textmetrics.CorpusBLEU(samples, testWords, 4)
	res.BLEUMethod = fmt.Sprintf("corpus BLEU-4 of the %d samples, each against all %d %s sentences as references, no smoothing", len(ids), len(test.Examples), gc.Split)
	res.KL = textmetrics.KLUnigram(testWords, samples, 1)
	res.KLMethod = fmt.Sprintf("KL(p_%s || p_samples) of word unigram distributions, add-one smoothing over their union vocabulary, nats", gc.Split)
	return res, nil
}

// Format renders the generation metrics for people.
func (g *GenerationResult) Format() string {
	return fmt.Sprintf("generation (%d samples: %s, ancestral decoding at temperature %g; against the %s split):\n"+
		"  reverse PPL %8.3f  %s\n  forward PPL %8.3f  %s\n  BLEU-4      %8.4f  %s (precisions %.3f, brevity penalty %.3f)\n  word KL     %8.4f  %s\n",
		g.Settings.Samples, g.Sampler, g.Settings.Temperature, g.Settings.Split,
		g.ReversePPL.Value, g.ReversePPL.Method, g.ForwardPPL.Value, g.ForwardPPL.Method,
		g.BLEU.Score, g.BLEUMethod, g.BLEU.Precisions, g.BLEU.BP, g.KL.KL, g.KLMethod)
}
