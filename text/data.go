package text

import (
	"github.com/lebm/lebm/corpora"
)

// EmbeddedSeed seeds the embedded corpus's generator (fixed, so that every run sees the same corpus).
const EmbeddedSeed = 2020

// LoadCorpus reads a corpus directory, or generates the embedded corpus when dir is "".
func LoadCorpus(dir string) (*corpora.Corpus, error) {
	if dir == "" {
		return corpora.Embedded(EmbeddedSeed), nil
	}
	return corpora.ReadDir(dir)
}

// Encode builds datasets for the splits of c with vocab, truncated to cfg.MaxLen.
func Encode(c *corpora.Corpus, vocab *corpora.Vocab, maxLen int, split string) (*corpora.Dataset, error) {
	sents, err := c.Split(split)
	if err != nil {
		return nil, err
	}
	return corpora.NewDataset(sents, vocab, maxLen)
}

// LoadSplit reads the corpus (override when set, else the one a checkpoint recorded; "" is the embedded
// corpus) and encodes its split with the model's vocabulary and length.
func LoadSplit(recorded, override string, vocab *corpora.Vocab, maxLen int, split string) (*corpora.Corpus, *corpora.Dataset, error) {
	data := recorded
	if override != "" {
		data = override
	}
	corpus, err := LoadCorpus(data)
	if err != nil {
		return nil, nil, corpora.MovedHint(err, recorded, override)
	}
	ds, err := Encode(corpus, vocab, maxLen, split)
	return corpus, ds, err
}
