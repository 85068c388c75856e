package corpora

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/pretrained"
)

// Special tokens, always the first four ids.
const (
	PadToken = "<pad>"
	UnkToken = "<unk>"
	BosToken = "<bos>"
	EosToken = "<eos>"
	PadID    = 0
	UnkID    = 1
	BosID    = 2
	EosID    = 3
)

// Vocab is a word-level vocabulary. Words[id] is the word of an id; ids 0-3 are <pad> <unk> <bos> <eos>.
type Vocab struct {
	Words []string
	index map[string]int
}

// BuildVocab counts the words of sentences and keeps those seen at least minCount times, most frequent
// first (ties broken alphabetically, so the result is deterministic), at most maxSize words in all
// including the four special tokens (0 = no limit).
func BuildVocab(sentences [][]string, maxSize, minCount int) *Vocab {
	counts := map[string]int{}
	for _, s := range sentences {
		for _, w := range s {
			counts[w]++
		}
	}
	type wc struct {
		w string
		c int
	}
	var all []wc
	for w, c := range counts {
		if c >= minCount && !isSpecial(w) {
			all = append(all, wc{w, c})
		}
	}
	slices.SortFunc(all, func(a, b wc) int {
		if a.c != b.c {
			return cmp.Compare(b.c, a.c)
		}
		return cmp.Compare(a.w, b.w)
	})
	words := []string{PadToken, UnkToken, BosToken, EosToken}
	for _, x := range all {
		if maxSize > 0 && len(words) >= maxSize {
			break
		}
		words = append(words, x.w)
	}
	return NewVocab(words)
}

func isSpecial(w string) bool {
	return w == PadToken || w == UnkToken || w == BosToken || w == EosToken
}

// NewVocab makes a vocabulary from its word list (which must start with the four special tokens).
func NewVocab(words []string) *Vocab {
	v := &Vocab{Words: words, index: make(map[string]int, len(words))}
	for i, w := range words {
		v.index[w] = i
	}
	return v
}

// Size is the number of words, special tokens included.
func (v *Vocab) Size() int { return len(v.Words) }

// ID returns the id of a word, UnkID for unknown words.
func (v *Vocab) ID(w string) int {
	if id, ok := v.index[w]; ok {
		return id
	}
	return UnkID
}

// Encode maps words to ids.
func (v *Vocab) Encode(words []string) []int {
	out := make([]int, len(words))
	for i, w := range words {
		out[i] = v.ID(w)
	}
	return out
}

// Decode maps ids to words, stopping at <eos> and skipping <bos> and <pad>.
func (v *Vocab) Decode(ids []int) []string {
	var out []string
	for _, id := range ids {
		if id == EosID {
			break
		}
		if id == BosID || id == PadID {
			continue
		}
		if id < 0 || id >= len(v.Words) {
			out = append(out, UnkToken)
			continue
		}
		out = append(out, v.Words[id])
	}
	return out
}

// TokenizerJSON renders the vocabulary as a Hugging Face tokenizer.json: a WordLevel model with a
// WhitespaceSplit pre-tokenizer (sugarme/tokenizer v0.3.0 cannot save tokenizers itself: its Save is a
// stub, and its Whitespace pre-tokenizer would split "<unk>" into "<" "unk" ">"). It fails on a vocabulary
// that LoadTokenizer would not read back: ids 0-3 not <pad> <unk> <bos> <eos>, a word repeated, empty,
// holding whitespace or not valid UTF-8.
func (v *Vocab) TokenizerJSON() ([]byte, error) {
	if err := checkWords(v.Words); err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	vocab := make(map[string]int, len(v.Words))
	for i, w := range v.Words {
		vocab[w] = i
	}
	var added []map[string]any
	for i := 0; i < 4; i++ {
		added = append(added, map[string]any{
			"id": i, "content": v.Words[i], "single_word": false, "lstrip": false, "rstrip": false,
			"normalized": false, "special": true,
		})
	}
	doc := map[string]any{
		"version":        "1.0",
		"truncation":     nil,
		"padding":        nil,
		"added_tokens":   added,
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "WhitespaceSplit"},
		"post_processor": nil,
		"decoder":        nil,
		"model":          map[string]any{"type": "WordLevel", "vocab": vocab, "unk_token": UnkToken},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadTokenizer reads a tokenizer.json written by TokenizerJSON and returns the vocabulary it holds
// together with the tokenizer itself (sugarme/tokenizer's). The file is checked first, with encoding/json,
// for what TokenizerJSON writes (see tokenizerWords): another tokenizer (a BPE model, a vocab with gaps in
// its ids or without lebm's special tokens, ...) is an error naming the file and what was expected, never
// a panic inside the library. The library is then given the checked vocabulary, rendered again by
// TokenizerJSON, so that it only ever reads what lebm writes.
func LoadTokenizer(path string) (*Vocab, *tokenizer.Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("%s: %v (expected the tokenizer.json lebm writes)", path, err)
	}
	words, err := tokenizerWords(path, data)
	if err != nil {
		return nil, nil, err
	}
	v := NewVocab(words)
	canonical, err := v.TokenizerJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tk, err := pretrained.FromReader(bytes.NewReader(canonical))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: sugarme/tokenizer does not read it: %w", path, err)
	}
	if got := tk.GetVocabSize(false); got != len(words) {
		return nil, nil, fmt.Errorf("%s: sugarme/tokenizer reads %d words of the %d it holds", path, got, len(words))
	}
	return v, tk, nil
}

// EncodeWithTokenizer encodes a raw line with the loaded tokenizer (WhitespaceSplit + WordLevel).
func EncodeWithTokenizer(tk *tokenizer.Tokenizer, line string) ([]int, error) {
	enc, err := tk.EncodeSingle(line, false)
	if err != nil {
		return nil, err
	}
	return enc.Ids, nil
}
