package text

import (
	"fmt"

	"github.com/gomlx/compute"
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

// Encode encodes the split of c with vocab, leaving out sentences longer than maxLen (corpora.Whole:
// none).
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

// TrainingSet is the training split of c encoded with vocab, without the sentences longer than maxLen
// (corpora.Whole: every sentence), refused when that leaves fewer than one sentence.
func TrainingSet(c *corpora.Corpus, vocab *corpora.Vocab, maxLen int) (*corpora.Dataset, error) {
	ds, err := Encode(c, vocab, maxLen, "train")
	if err != nil {
		return nil, err
	}
	if len(ds.Examples) == 0 {
		return nil, fmt.Errorf("--max-len %d leaves out every training sentence (%d, all longer): raise it, or 0 trains on whole sentences", maxLen, ds.LeftOut)
	}
	return ds, nil
}

// LeftOut says how many of a training split's sentences its length limit left out, for the line that
// describes the data ("" when none was).
func LeftOut(ds *corpora.Dataset) string {
	if ds.LeftOut == 0 {
		return ""
	}
	return fmt.Sprintf("; %d of %d (%.1f%%) longer than --max-len %d tokens left out, not cut",
		ds.LeftOut, ds.LeftOut+len(ds.Examples), 100*ds.LeftOutShare(), ds.MaxLen)
}

// CorpusName names the corpus an evaluation read, for its report: the directory given (override), else
// the one recorded, else the embedded corpus's name.
func CorpusName(c *corpora.Corpus, override, recorded string) string {
	switch {
	case override != "":
		return override
	case recorded != "":
		return recorded
	}
	return c.Name
}

// UnknownWarningOf warns when more than UnknownWarning of a split's words (share) are <unk> for the
// model's vocabulary ("": not more).
func UnknownWarningOf(share float64, split string) string {
	if share <= UnknownWarning {
		return ""
	}
	return fmt.Sprintf("warning: %.1f%% of the words of the %s split are <unk> for this model's vocabulary (more than %.0f%%): "+
		"either it is not the corpus the model was trained on (--data) or the vocabulary is small for it (--vocab-size); "+
		"NLL and PPL are not comparable with those of a model whose vocabulary covers the words",
		100*share, split, 100*UnknownWarning)
}

// EvaluateCheckpoint evaluates the model of a checkpoint directory on a split of the corpus it recorded,
// with the estimator settings ec (what a sweep does once with the setting it selected).
func EvaluateCheckpoint(backend compute.Backend, dir, split string, ec EvalConfig) (*EvalResult, error) {
	m, info, _, _, err := LoadVerified(backend, dir)
	if err != nil {
		return nil, err
	}
	corpus, ds, err := LoadSplit(info.Data, "", m.Vocab, ec.MaxLen, split)
	if err != nil {
		return nil, err
	}
	res, err := m.Evaluate(ds, split, ec, nil)
	if err != nil {
		return nil, err
	}
	res.Corpus = CorpusName(corpus, "", info.Data)
	return res, nil
}
