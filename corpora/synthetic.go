package corpora

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// The embedded corpus: sentences generated from a small grammar with a discrete latent structure, so that
// lebm runs with no data and tests can check that a model learns the structure.
//
// Each sentence draws a topic t (probabilities TopicWeights) and a template (uniform), then fills the
// template's slots with words from topic t's lexicon (Zipf-like weights within each slot). Topics have
// disjoint content words and share function words, so the topic is a latent variable that explains all the
// content words of a sentence: a model whose z captures it predicts them much better than a unigram model.

// Topics of the embedded corpus, in label order.
var Topics = []string{"weather", "sport", "food", "money"}

// TopicWeights are the topic probabilities (unequal, so that a prior has proportions to learn).
var TopicWeights = []float64{0.4, 0.3, 0.2, 0.1}

var lexicon = map[string]map[string][]string{
	"weather": {
		"N": {"rain", "wind", "storm", "sun", "snow", "cloud", "fog"},
		"V": {"falls", "blows", "comes", "stays", "clears", "returns"},
		"A": {"cold", "warm", "heavy", "light", "grey", "bright"},
		"P": {"north", "coast", "hills", "valley", "city"},
	},
	"sport": {
		"N": {"team", "coach", "player", "crowd", "striker", "keeper", "captain"},
		"V": {"wins", "scores", "loses", "trains", "cheers", "defends"},
		"A": {"young", "fast", "strong", "tired", "proud", "local"},
		"P": {"stadium", "field", "league", "final", "club"},
	},
	"food": {
		"N": {"bread", "soup", "cheese", "cake", "pasta", "salad", "rice"},
		"V": {"tastes", "cooks", "bakes", "smells", "melts", "serves"},
		"A": {"fresh", "sweet", "hot", "salty", "rich", "spicy"},
		"P": {"kitchen", "market", "oven", "table", "cafe"},
	},
	"money": {
		"N": {"bank", "market", "price", "stock", "fund", "bond", "dollar"},
		"V": {"rises", "falls", "trades", "gains", "drops", "recovers"},
		"A": {"global", "weak", "stable", "high", "low", "volatile"},
		"P": {"exchange", "quarter", "economy", "sector", "report"},
	},
}

// templates use slots N (noun), V (verb), A (adjective), P (place/context); other words are literal.
// All have at most 7 words, so that every sentence (with <bos>) fits the first length bucket of 8 steps:
// one compiled shape, and the cheapest one, for the CPU default.
var templates = [][]string{
	{"the", "A", "N", "V", "in", "the", "P"},
	{"a", "N", "V", "and", "the", "N", "V"},
	{"the", "N", "V", "again", "near", "the", "P"},
	{"we", "saw", "the", "A", "N", "today"},
	{"N", "V", "."},
	{"the", "A", "A", "N", "V", "near", "P"},
}

// Generate returns n sentences and their topic labels, deterministic given seed.
func Generate(n int, seed uint64) ([][]string, []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sents := make([][]string, n)
	labels := make([]int, n)
	for i := range sents {
		t := pick(rng, TopicWeights)
		tmpl := templates[rng.IntN(len(templates))]
		lex := lexicon[Topics[t]]
		var s []string
		for _, slot := range tmpl {
			words, ok := lex[slot]
			if !ok {
				s = append(s, slot)
				continue
			}
			s = append(s, words[zipf(rng, len(words))])
		}
		sents[i] = s
		labels[i] = t
	}
	return sents, labels
}

// Sizes of the embedded corpus's splits.
const (
	EmbeddedTrain = 4000
	EmbeddedValid = 400
	EmbeddedTest  = 400
)

// Embedded returns the embedded corpus: EmbeddedTrain/Valid/Test sentences, split seeds derived from seed.
func Embedded(seed uint64) *Corpus {
	c := &Corpus{Name: "embedded", Labels: map[string][]int{}}
	c.Train, c.Labels["train"] = Generate(EmbeddedTrain, seed*3+1)
	c.Valid, c.Labels["valid"] = Generate(EmbeddedValid, seed*3+2)
	c.Test, c.Labels["test"] = Generate(EmbeddedTest, seed*3+3)
	return c
}

// TopicOf returns the topic whose content words dominate a sentence, or -1 if it has none: used to
// measure how well generated sentences reproduce the topics.
func TopicOf(words []string) int {
	counts := make([]int, len(Topics))
	for _, w := range words {
		for _, t := range topicsOf(w) {
			counts[t]++
		}
	}
	best, bestC := -1, 0
	for t, c := range counts {
		if c > bestC {
			best, bestC = t, c
		}
	}
	return best
}

// SingleTopic reports whether every content word of a sentence belongs to one topic (words shared by two
// topics' lexicons count for both).
func SingleTopic(words []string) bool {
	var seen []int
	for _, w := range words {
		ts := topicsOf(w)
		if len(ts) == 0 {
			continue
		}
		if seen == nil {
			seen = ts
			continue
		}
		var both []int
		for _, a := range seen {
			for _, b := range ts {
				if a == b {
					both = append(both, a)
				}
			}
		}
		if len(both) == 0 {
			return false
		}
		seen = both
	}
	return true
}

// topicsOf lists the topics whose lexicon holds w, once per slot that holds it (none for function words).
func topicsOf(w string) []int {
	var ts []int
	for t, name := range Topics {
		for _, slot := range lexicon[name] {
			if slices.Contains(slot, w) {
				ts = append(ts, t)
			}
		}
	}
	return ts
}

func pick(rng *rand.Rand, w []float64) int {
	u := rng.Float64()
	for i, p := range w {
		if u < p {
			return i
		}
		u -= p
	}
	return len(w) - 1
}

// zipf draws an index in [0, n) with probability proportional to 1/(i+1).
func zipf(rng *rand.Rand, n int) int {
	var total float64
	for i := 0; i < n; i++ {
		total += 1 / float64(i+1)
	}
	u := rng.Float64() * total
	for i := 0; i < n; i++ {
		u -= 1 / float64(i+1)
		if u < 0 {
			return i
		}
	}
	return n - 1
}

// Join renders a sentence.
func Join(words []string) string { return strings.Join(words, " ") }
