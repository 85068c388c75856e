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
