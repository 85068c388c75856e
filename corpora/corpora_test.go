package corpora

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		maxLine       int
		wantLine      int
		wantMsg       string
	}{
		{"empty.txt", "", 0, 0, "no examples"},
		{"blank.txt", "\n  \n\t\n", 0, 0, "no examples"},
		{"utf8.txt", "good line\nbad \xff\xfe here\n", 0, 2, "invalid UTF-8"},
		{"long.txt", "short\nshort\n" + strings.Repeat("x ", 100) + "\nshort\n", 50, 3, "longer than 50 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name, tc.content)
			_, err := ReadFile(p, tc.maxLine)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("want LineError, got %v", err)
			}
			if le.File != p || le.Line != tc.wantLine || !strings.Contains(le.Msg, tc.wantMsg) {
				t.Fatalf("got %q (file %s line %d), want line %d and %q", err, le.File, le.Line, tc.wantLine, tc.wantMsg)
			}
			if tc.wantLine > 0 && !strings.Contains(err.Error(), p+":"+string(rune('0'+tc.wantLine))) {
				t.Fatalf("error %q does not name file:line", err)
			}
		})
	}
	_, err := ReadFile(filepath.Join(dir, "missing.txt"), 0)
	if err == nil || !strings.Contains(err.Error(), "missing.txt") || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestReadFileSkipsBlankAndCRLF(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.txt", "\ufeff the cat\r\n\nsat  down \n") // with a UTF-8 byte-order mark
	got, err := ReadFile(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"the", "cat"}, {"sat", "down"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
	// A byte-order mark is stripped at the file's start only; elsewhere it is a character of a word.
	got, err = ReadFile(writeFile(t, t.TempDir(), "d.txt", "\ufeffa\n\ufeffb\n"), 0)
	if err != nil || !reflect.DeepEqual(got, [][]string{{"a"}, {"\ufeffb"}}) {
		t.Fatalf("byte-order marks: %q, %v", got, err)
	}
}

func TestReadDirNamesMissingSplit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "train.txt", "a b\n")
	writeFile(t, dir, "valid.txt", "a\n")
	_, err := ReadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "test.txt") {
		t.Fatalf("want an error naming test.txt, got %v", err)
	}
}

func TestVocabOrderAndLimits(t *testing.T) {
	sents := [][]string{{"b", "a", "a"}, {"c", "a", "b", "<unk>"}}
	v := BuildVocab(sents, 0, 1)
	want := []string{PadToken, UnkToken, BosToken, EosToken, "a", "b", "c"}
	if !reflect.DeepEqual(v.Words, want) {
		t.Fatalf("words %q, want %q", v.Words, want)
	}
	if v2 := BuildVocab(sents, 6, 1); v2.Size() != 6 || v2.ID("c") != UnkID {
		t.Fatalf("max size: %q", v2.Words)
	}
	if v3 := BuildVocab(sents, 0, 2); v3.Size() != 6 || v3.ID("c") != UnkID {
		t.Fatalf("min count: %q", v3.Words)
	}
}

// TestTokenizerRoundTrip: the tokenizer.json we write loads through sugarme/tokenizer, gives back the same
// vocabulary, and encodes like Vocab.Encode, keeping "<unk>" and "mr." whole.
func TestTokenizerRoundTrip(t *testing.T) {
	sents := [][]string{{"mr.", "smith", "'s", "<unk>", "N", "co."}, {"the", "smith"}}
	v := BuildVocab(sents, 0, 1)
	data, err := v.TokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, t.TempDir(), "tokenizer.json", string(data))
	v2, tk, err := LoadTokenizer(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Words, v2.Words) {
		t.Fatalf("round trip: %q != %q", v2.Words, v.Words)
	}
	line := "mr. smith 's <unk> unseenword co."
	ids, err := EncodeWithTokenizer(tk, line)
	if err != nil {
		t.Fatal(err)
	}
	if want := v.Encode(strings.Fields(line)); !reflect.DeepEqual(ids, want) {
		t.Fatalf("tokenizer ids %v, Vocab ids %v", ids, want)
	}
	bad := writeFile(t, t.TempDir(), "tokenizer.json", "{not json")
	if _, _, err := LoadTokenizer(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad tokenizer.json: %v", err)
	}
}

func TestBucketsAndTrainOrder(t *testing.T) {
	sents, _ := Generate(500, 3)
	v := BuildVocab(sents, 0, 1)
	ds, err := NewDataset(sents, v, 12)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ds.Examples {
		if n := len(ds.Examples[i]) + 1; ds.BucketOf(i) < n || ds.BucketOf(i) > 11 {
			t.Fatalf("example %d: %d inputs in bucket %d", i, n, ds.BucketOf(i))
		}
	}
	a := ds.TrainOrder(7, 3, 16)
	b := ds.TrainOrder(7, 3, 16)
	c := ds.TrainOrder(7, 4, 16)
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Fatal("train order must depend on (seed, epoch) only")
	}
	seen := map[int]bool{}
	for _, rows := range a {
		T := ds.BucketOf(rows[0])
		for _, r := range rows {
			if ds.BucketOf(r) != T {
				t.Fatal("batch mixes buckets")
			}
			seen[r] = true
		}
	}
	if len(seen) != len(ds.Examples) {
		t.Fatalf("epoch covers %d of %d examples", len(seen), len(ds.Examples))
	}
}

func TestEmbeddedCorpusDeterministicWithTopics(t *testing.T) {
	a, b := Embedded(1), Embedded(1)
	if !reflect.DeepEqual(a.Train, b.Train) || reflect.DeepEqual(a.Train, Embedded(2).Train) {
		t.Fatal("embedded corpus must be deterministic given its seed")
	}
	counts := make([]int, len(Topics))
	agree := 0
	for i, s := range a.Train {
		counts[a.Labels["train"][i]]++
		if TopicOf(s) == a.Labels["train"][i] {
			agree++
		}
	}
	for k, w := range TopicWeights {
		got := float64(counts[k]) / float64(len(a.Train))
		if got < w-0.03 || got > w+0.03 {
			t.Errorf("topic %s: frequency %.3f, want %.2f", Topics[k], got, w)
		}
	}
	if float64(agree)/float64(len(a.Train)) < 0.95 {
		t.Errorf("topic readable from the words of only %d of %d sentences", agree, len(a.Train))
	}
}

func TestSingleTopic(t *testing.T) {
	if !SingleTopic([]string{"the", "cold", "rain", "falls"}) || SingleTopic([]string{"the", "cold", "team", "wins"}) {
		t.Fatal("SingleTopic")
	}
	if !SingleTopic([]string{"market", "falls"}) { // both words are shared by money and another topic
		t.Fatal("shared words must not break a topic")
	}
	sents, _ := Generate(200, 9)
	for _, s := range sents {
		if !SingleTopic(s) {
			t.Fatalf("generated sentence %q mixes topics", s)
		}
	}
}

// A length limit leaves the longer sentences out whole and counts them: no sentence is cut, and none gets
// an <eos> it did not have.
func TestMaxLenDropsLongerSentences(t *testing.T) {
	ex := [][]int{{4, 5, 6, 7, 8, 9}, {4, 5}, {6, 7, 8}, {4}}
	ds := NewDatasetFromIDs(ex, 5) // at most 3 words
	if ds.LeftOut != 1 || len(ds.Examples) != 3 || ds.LeftOutShare() != 0.25 {
		t.Fatalf("dropped %d (share %v), kept %d; want 1 (0.25), 3", ds.LeftOut, ds.LeftOutShare(), len(ds.Examples))
	}
	for i, e := range ds.Examples {
		if !reflect.DeepEqual(e, ex[i+1]) {
			t.Fatalf("example %d is %v, want %v unchanged", i, e, ex[i+1])
		}
	}
	if want := 2 + 1 + 3 + 1 + 1 + 1; ds.Tokens != want {
		t.Fatalf("%d predicted tokens, want %d (the kept sentences' words and one <eos> each)", ds.Tokens, want)
	}
	b := ds.MakeBatch([]int{2}, 2)
	if b.Targets[1] != EosID || b.Mask[1] != 1 {
		t.Fatalf("the one-word sentence's targets %v", b.Targets)
	}
	whole := NewDatasetFromIDs(ex, Whole)
	if whole.LeftOut != 0 || len(whole.Examples) != 4 || whole.MaxLen != 8 {
		t.Fatalf("whole: dropped %d, kept %d, max len %d; want 0, 4, 8", whole.LeftOut, len(whole.Examples), whole.MaxLen)
	}
}
