package corpora

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sharedDir is ../shared/corpora/<name> beside the repository, or "" (the test is skipped) when absent.
func sharedDir(t *testing.T, name string) string {
	p := filepath.Join("..", "..", "shared", "corpora", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not present", p)
	}
	return p
}

// TestSharedPTB reads the shared PTB copy and checks the counts its README gives (42,068 / 3,370 / 3,761
// sentences, 887,521 training tokens, 9,999 distinct training tokens including <unk>), then round-trips
// its vocabulary through tokenizer.json and encodes the test split both ways.
func TestSharedPTB(t *testing.T) {
	c, err := ReadDir(sharedDir(t, "ptb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Train) != 42068 || len(c.Valid) != 3370 || len(c.Test) != 3761 {
		t.Fatalf("sentences %d/%d/%d", len(c.Train), len(c.Valid), len(c.Test))
	}
	tokens := 0
	for _, s := range c.Train {
		tokens += len(s)
	}
	if tokens != 887521 {
		t.Fatalf("train tokens %d, want 887521", tokens)
	}
	v := BuildVocab(c.Train, 0, 1)
	if v.Size() != 9999+3 { // PTB's <unk> is our id 1; <pad> <bos> <eos> are added
		t.Fatalf("vocabulary %d, want 10002", v.Size())
	}
	data, err := v.TokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	v2, tk, err := LoadTokenizer(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Words, v2.Words) {
		t.Fatal("PTB vocabulary changed through tokenizer.json")
	}
	for i, s := range c.Test[:500] {
		ids, err := EncodeWithTokenizer(tk, strings.Join(s, " "))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids, v.Encode(s)) {
			t.Fatalf("test line %d encodes differently through the tokenizer", i+1)
		}
	}
}
