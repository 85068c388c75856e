package corpora

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
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
// stub, and its Whitespace pre-tokenizer would split "<unk>" into "<" "unk" ">").
func (v *Vocab) TokenizerJSON() ([]byte, error) {
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

// LoadTokenizer reads a tokenizer.json written by TokenizerJSON through sugarme/tokenizer and returns the
// vocabulary it holds together with the tokenizer itself.
func LoadTokenizer(path string) (*Vocab, *tokenizer.Tokenizer, error) {
	tk, err := pretrained.FromFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a valid tokenizer.json: %w", path, err)
	}
	m := tk.GetVocab(false)
	words := make([]string, len(m))
	for w, id := range m {
		if id < 0 || id >= len(words) || words[id] != "" {
			return nil, nil, fmt.Errorf("%s: vocabulary ids are not 0..%d without gaps", path, len(m)-1)
		}
		words[id] = w
	}
	if len(words) < 4 || words[PadID] != PadToken || words[UnkID] != UnkToken || words[BosID] != BosToken || words[EosID] != EosToken {
		return nil, nil, fmt.Errorf("%s: expected %s %s %s %s as ids 0-3", path, PadToken, UnkToken, BosToken, EosToken)
	}
	return NewVocab(words), tk, nil
}

// EncodeWithTokenizer encodes a raw line with the loaded tokenizer (WhitespaceSplit + WordLevel).
func EncodeWithTokenizer(tk *tokenizer.Tokenizer, line string) ([]int, error) {
	enc, err := tk.EncodeSingle(line, false)
	if err != nil {
		return nil, err
	}
	return enc.Ids, nil
}
