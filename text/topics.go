package text

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/corpora"
)

// TopicConfig says how the topic measures of a labelled corpus (the embedded one) are computed.
type TopicConfig struct {
	Samples int    `json:"samples"` // sentences drawn from the prior (prior chain, ancestral decoding at temperature 1)
	Seed    uint64 `json:"seed"`
}

// DefaultTopicConfig draws 1000 samples.
func DefaultTopicConfig() TopicConfig { return TopicConfig{Samples: 1000, Seed: 1} }

// TopicResult measures how much of a labelled corpus's topic structure a model's latent holds, from both
// sides of the model:
//
//   - inference: the posterior means E[z|x] of the fit split's sentences give one centroid per topic
//     (the mean of its sentences' posterior means); each sentence of the scored split is assigned the
//     topic of the nearest centroid (Euclidean distance in z). Accuracy is the share assigned their own
//     topic, against chance, the share of the scored split's most frequent topic (what a classifier
//     that ignores z achieves);
//   - generation: Samples sentences decoded from prior draws; each is given the topic most of its content
//     words belong to (corpora.TopicOf). TV is the total variation distance (1/2) sum_k |q_k - w_k|
//     between the proportions q of the samples that have a topic and the corpus's topic weights w;
//     SingleTopic is the share of those samples whose content words all belong to one topic (1 in the
//     data).
type TopicResult struct {
	Settings TopicConfig `json:"settings"`
	FitSplit string      `json:"fit_split"`
	Split    string      `json:"split"`
	// Centroid classifier of posterior means.
	Sentences  int     `json:"sentences"`
	Accuracy   float64 `json:"accuracy"`
	AccuracySE float64 `json:"accuracy_se"` // binomial: sqrt(a(1-a)/n)
	Chance     float64 `json:"chance"`
	Posterior  string  `json:"posterior"` // how the posterior means were computed
	// Prior samples.
	Sampler     string    `json:"sampler"`
	Proportions []float64 `json:"proportions"` // topic shares of the samples that have a topic, in corpora.Topics order
	Weights     []float64 `json:"weights"`     // the corpus's topic probabilities
	TV          float64   `json:"tv"`
	SingleTopic float64   `json:"single_topic"`
	NoTopic     float64   `json:"no_topic"` // share of samples without a content word
}

// TopicMeasures computes the topic measures of the embedded corpus (corpora.Topics, corpora.TopicWeights):
// centroids from the posterior means of fit (labels fitLabels), accuracy on ds (labels), posterior means
// as ec says (PosteriorMeans); tc.Samples sentences from the prior chain of the model's K0 and s0.
func (m *Model) TopicMeasures(fit *corpora.Dataset, fitSplit string, fitLabels []int, ds *corpora.Dataset, split string, labels []int, ec EvalConfig, tc TopicConfig) (*TopicResult, error) {
	k := len(corpora.Topics)
	if len(fitLabels) != len(fit.Examples) || len(labels) != len(ds.Examples) {
		return nil, fmt.Errorf("topic measures: %d and %d labels for %d and %d sentences", len(fitLabels), len(labels), len(fit.Examples), len(ds.Examples))
	}
	if tc.Samples < 1 || len(labels) == 0 || len(fitLabels) == 0 {
		return nil, fmt.Errorf("topic measures need at least one sample and one sentence in each split, got %d samples, %d and %d sentences", tc.Samples, len(fitLabels), len(labels))
	}
	d := m.Config.ZDim
	fitMu, err := m.PosteriorMeans(fit, ec)
	if err != nil {
		return nil, err
	}
	mu, err := m.PosteriorMeans(ds, ec)
	if err != nil {
		return nil, err
	}
	acc, err := learn.CentroidAccuracy(fitMu, fitLabels, mu, labels, d, k)
	if err != nil {
		return nil, err
	}
	n := float64(len(labels))
	r := &TopicResult{Settings: tc, FitSplit: fitSplit, Split: split, Sentences: len(labels), Accuracy: acc,
		AccuracySE: math.Sqrt(acc * (1 - acc) / n), Chance: learn.MajorityShare(labels, k), Weights: corpora.TopicWeights,
		Posterior: fmt.Sprintf("mean of %d posterior chains of %d steps from %s", ec.Chains, ec.K1, m.chainStartName()),
		Sampler:   m.Core.PriorSampler(m.Config.K0, m.Config.S0)}
	_, samples, err := m.SampleSentences(tc.Samples, m.Config.K0, m.Config.S0, 1, rand.New(rand.NewPCG(tc.Seed, 0x7091c)))
	if err != nil {
		return nil, err
	}
	r.Proportions, r.TV, r.SingleTopic, r.NoTopic = SampleTopics(samples, corpora.TopicWeights)
	return r, nil
}

// SampleTopics gives sentences their topic (corpora.TopicOf) and returns the topic shares among the
// sentences that have one, their total variation distance to weights, the share of those sentences whose
// content words all belong to one topic (corpora.SingleTopic), and the share of sentences without a topic.
// When no sentence has a topic the shares are all 0, TV is 1 (as far as distributions can be) and the
// single-topic share 0.
func SampleTopics(sents [][]string, weights []float64) (props []float64, tv, single, none float64) {
	props = make([]float64, len(weights))
	with := 0.0
	for _, s := range sents {
		t := corpora.TopicOf(s)
		if t < 0 {
			none++
			continue
		}
		props[t]++
		with++
		if corpora.SingleTopic(s) {
			single++
		}
	}
	if with == 0 {
		return props, 1, 0, 1
	}
	for t, w := range weights {
		props[t] /= with
		tv += 0.5 * math.Abs(props[t]-w)
	}
	return props, tv, single / with, none / float64(len(sents))
}

// Format renders the topic measures for people.
func (r *TopicResult) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "topics (%s):\n", strings.Join(corpora.Topics, ", "))
	fmt.Fprintf(&b, "  posterior means: nearest-centroid topic accuracy %.3f (s.e. %.3f) on %d %s sentences, chance %.3f (most frequent topic); centroids from the %s split; %s\n",
		r.Accuracy, r.AccuracySE, r.Sentences, r.Split, r.Chance, r.FitSplit, r.Posterior)
	props := make([]string, len(r.Proportions))
	for i, p := range r.Proportions {
		props[i] = fmt.Sprintf("%.3f/%.2f", p, r.Weights[i])
	}
	fmt.Fprintf(&b, "  prior samples: topic TV %.3f from the corpus's weights (shares/weights %s), single-topic %.3f, no topic %.3f; %d samples, %s, ancestral decoding at T=1\n",
		r.TV, strings.Join(props, " "), r.SingleTopic, r.NoTopic, r.Settings.Samples, r.Sampler)
	return b.String()
}

// CorpusTopics computes the topic measures of a corpus with topic labels (the embedded corpus) on split
// (its first ec.MaxSentences sentences when that is set), with whole sentences: centroids from the whole
// validation split (from the test split when split is "valid"). It returns nil for a corpus without
// labels.
func (m *Model) CorpusTopics(c *corpora.Corpus, split string, ec EvalConfig, tc TopicConfig) (*TopicResult, error) {
	fitSplit := "valid"
	if split == "valid" {
		fitSplit = "test"
	}
	fitLabels, ok1 := c.Labels[fitSplit]
	labels, ok2 := c.Labels[split]
	if !ok1 || !ok2 {
		return nil, nil
	}
	fit, err := Encode(c, m.Vocab, corpora.Whole, fitSplit)
	if err != nil {
		return nil, err
	}
	sents, err := c.Split(split)
	if err != nil {
		return nil, err
	}
	if ec.MaxSentences > 0 && ec.MaxSentences < len(sents) {
		sents, labels = sents[:ec.MaxSentences], labels[:ec.MaxSentences]
	}
	ds, err := corpora.NewDataset(sents, m.Vocab, corpora.Whole)
	if err != nil {
		return nil, err
	}
	return m.TopicMeasures(fit, fitSplit, fitLabels, ds, split, labels, ec, tc)
}
