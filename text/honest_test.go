package text

import (
	"math"
	"strings"
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
)

// TestInputsAreNeverCut: reconstruct reads a sentence longer than the model's training limit whole (the
// input it reports is the sentence given, every word), and a whole-sentence model decodes up to
// DecodeWordLimit words.
func TestInputsAreNeverCut(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c"}, prior.Gaussian)
	long := strings.Fields(strings.Repeat("a b c ", 10)) // 30 words, past the model's MaxLen of 16 tokens
	r := &Run{Model: m}
	ec := DefaultEvalConfig(m.Config)
	ec.Chains, ec.K1 = 2, 1
	pairs, err := r.reconstruct([][]string{long, {"b"}}, ec, DecodeOptions{Method: Greedy})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(pairs[0].Input); len(got) != 30 {
		t.Errorf("the 30-word input was read as %d words: %q", len(got), pairs[0].Input)
	}
	whole := m.Config
	whole.MaxLen = corpora.Whole
	if whole.WordLimit() != DecodeWordLimit || m.Config.WordLimit() != m.Config.MaxLen-2 {
		t.Errorf("word limits: whole-sentence model %d, MaxLen %d model %d", whole.WordLimit(), m.Config.MaxLen, m.Config.WordLimit())
	}
}

// TestReportSaysWhatItEstimated: the report names the corpus, the split, the <unk> share and the chains
// MI comes from; a negative MI_He is printed with its standard error and a note; a split with more than
// UnknownWarning of <unk> words is warned about.
func TestReportSaysWhatItEstimated(t *testing.T) {
	r := informativeResult()
	r.Corpus, r.Split, r.UnknownShare, r.MIChains, r.Settings.Chains = "corpora/ptb", "valid", 0.048, 16, 16
	r.MIHe, r.MIHeSE = -0.24, 0.31
	r.MuVariance = make([]float64, 32)
	out := r.Format()
	for _, want := range []string{"valid split of corpora/ptb:", "4.8% of the words <unk>", "from P=16 chains per sentence",
		"MI_He   -0.240 nats (s.e. 0.310)", "note: MI_He is negative"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	ds := corpora.NewDatasetFromIDs([][]int{{corpora.UnkID, 5, 6, 7}, {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}}, corpora.Whole)
	if share := ds.UnknownShare(0); math.Abs(share-0.05) > 1e-12 || UnknownWarningOf(ds.UnknownShare(0), "test") != "" {
		t.Errorf("a 5%% <unk> split (share %v) is warned about: %q", share, UnknownWarningOf(ds.UnknownShare(0), "test"))
	}
	ds = corpora.NewDatasetFromIDs([][]int{{corpora.UnkID, corpora.UnkID, 5}, {5, 6, corpora.UnkID}}, corpora.Whole)
	if w := UnknownWarningOf(ds.UnknownShare(0), "test"); !strings.Contains(w, "50.0% of the words of the test split are <unk>") {
		t.Errorf("a 50%% <unk> split: %q", w)
	}
}

// TestAgreementCountsWordsWherever: the reconstruction measure is the share of the input's words the
// reconstruction holds, with their multiplicity, in any place.
func TestAgreementCountsWordsWherever(t *testing.T) {
	for _, c := range []struct {
		y, x []int
		want float64
	}{{[]int{4, 5, 6}, []int{4, 5, 6}, 1}, {[]int{6, 4, 5}, []int{4, 5, 6}, 1}, {[]int{4, 4}, []int{4, 5, 4, 6}, 0.5},
		{[]int{4}, []int{4, 4}, 0.5}, {nil, []int{4}, 0}, {[]int{4}, nil, 0}} {
		if got := agreement(c.y, c.x); got != c.want {
			t.Errorf("agreement(%v, %v) = %v, want %v", c.y, c.x, got, c.want)
		}
	}
}
