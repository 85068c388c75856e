package corpora

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A tokenizer.json is checked here for the shape TokenizerJSON gives it before anything of it reaches
// sugarme/tokenizer: that library asserts the JSON types of what it reads and panics on other tokenizers
// (a BPE model with "dropout": null, a model without a vocab, a vocab id that is a string, ...).

// tokenizerFile holds the sections of a tokenizer.json, raw, to be checked one by one.
type tokenizerFile struct {
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   json.RawMessage `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

// tokenizerModel is the "model" section.
type tokenizerModel struct {
	Type     json.RawMessage `json:"type"`
	Vocab    json.RawMessage `json:"vocab"`
	UnkToken json.RawMessage `json:"unk_token"`
}

var specialWords = [4]string{PadToken, UnkToken, BosToken, EosToken}

// tokenizerWords checks the bytes of a tokenizer.json (named name in errors) for what TokenizerJSON writes
// (a WordLevel model with <unk> as its unknown token and ids 0..n-1, <pad> <unk> <bos> <eos> first; a
// WhitespaceSplit pre-tokenizer; no normalizer, post-processor, decoder, truncation or padding; no added
// tokens but the four specials) and returns its words by id.
func tokenizerWords(name string, data []byte) ([]string, error) {
	var f tokenizerFile
	if err := json.Unmarshal(data, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: not valid JSON (at byte %d: %v)", name, se.Offset, se)
		}
		return nil, fmt.Errorf("%s: not a JSON object (expected the tokenizer.json lebm writes)", name)
	}
	words, err := f.modelWords()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := f.checkSections(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return words, nil
}

// modelWords checks the model section and returns its words by id.
func (f *tokenizerFile) modelWords() ([]string, error) {
	const only = `lebm reads only the "WordLevel" tokenizers it writes`
	if isNull(f.Model) {
		return nil, fmt.Errorf(`no "model", %s`, only)
	}
	var m tokenizerModel
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, fmt.Errorf("model %s is not a JSON object, %s", snippet(f.Model), only)
	}
	var typ string
	if isNull(m.Type) {
		return nil, fmt.Errorf(`model has no "type", %s`, only)
	}
	if err := json.Unmarshal(m.Type, &typ); err != nil {
		return nil, fmt.Errorf("model type %s, %s", snippet(m.Type), only)
	}
	if typ != "WordLevel" {
		return nil, fmt.Errorf("model type %q, %s", typ, only)
	}
	var unk string
	if err := json.Unmarshal(m.UnkToken, &unk); err != nil || unk != UnkToken {
		if isNull(m.UnkToken) {
			return nil, fmt.Errorf(`model has no "unk_token", expected %q`, UnkToken)
		}
		return nil, fmt.Errorf("model unk_token %s, expected %q", snippet(m.UnkToken), UnkToken)
	}
	if isNull(m.Vocab) {
		return nil, fmt.Errorf(`model has no "vocab", expected an object of word: id`)
	}
	var vocab map[string]json.RawMessage
	if err := json.Unmarshal(m.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model vocab %s is not an object of word: id", snippet(m.Vocab))
	}
	words, err := wordsByID(vocab)
	if err != nil {
		return nil, fmt.Errorf("model vocab: %w", err)
	}
	return words, nil
}

// wordsByID turns a vocab (word: id) into its words by id, which must be 0..n-1, one word each.
func wordsByID(vocab map[string]json.RawMessage) ([]string, error) {
	n := len(vocab)
	keys := slices.Sorted(maps.Keys(vocab)) // sorted, so that the error is the same from run to run
	ids := make(map[string]int64, n)
	for _, w := range keys {
		id, err := parseID(vocab[w])
		if err != nil {
			return nil, fmt.Errorf("%q has id %s, expected an integer 0..%d", w, snippet(vocab[w]), n-1)
		}
		ids[w] = id
	}
	words := make([]string, n)
	taken := make([]bool, n)
	var outside []string
	for _, w := range keys {
		id := ids[w]
		if id < 0 || id >= int64(n) {
			outside = append(outside, w)
			continue
		}
		if taken[id] {
			return nil, fmt.Errorf("%q and %q both have id %d, expected ids 0..%d, one word each", words[id], w, id, n-1)
		}
		words[id], taken[id] = w, true
	}
	if len(outside) > 0 {
		w := outside[0]
		return nil, fmt.Errorf("%q has id %s, expected ids 0..%d, one word each (id %d has none)",
			w, snippet(vocab[w]), n-1, slices.Index(taken, false))
	}
	if err := checkWords(words); err != nil {
		return nil, err
	}
	return words, nil
}

// parseID reads a vocab id: a JSON integer (a value past int64 reads as the largest int64, out of range).
func parseID(raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, fmt.Errorf("not an integer")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, err
	}
	return id, nil
}

// checkWords checks a word list for what a vocabulary must be: <pad> <unk> <bos> <eos> as ids 0-3, then
// words that a whitespace-split corpus can hold (non-empty, valid UTF-8, no whitespace), each once.
func checkWords(words []string) error {
	if len(words) < 4 {
		return fmt.Errorf("%d words, expected at least %s %s %s %s as ids 0-3", len(words), PadToken, UnkToken, BosToken, EosToken)
	}
	if [4]string(words[:4]) != specialWords {
		return fmt.Errorf("ids 0-3 are %q, expected %s %s %s %s", words[:4], PadToken, UnkToken, BosToken, EosToken)
	}
	seen := make(map[string]int, len(words))
	for id, w := range words {
		switch {
		case w == "":
			return fmt.Errorf("id %d is the empty word", id)
		case !utf8.ValidString(w):
			return fmt.Errorf("id %d, %q, is not valid UTF-8", id, w)
		case strings.IndexFunc(w, unicode.IsSpace) >= 0:
			return fmt.Errorf("id %d, %q, holds whitespace (words are whitespace-separated tokens)", id, w)
		}
		if prev, ok := seen[w]; ok {
			return fmt.Errorf("%q is both id %d and id %d", w, prev, id)
		}
		seen[w] = id
	}
	return nil
}

// checkSections checks the sections other than the model for what TokenizerJSON writes.
func (f *tokenizerFile) checkSections() error {
	for _, s := range []struct {
		name string
		raw  json.RawMessage
	}{{"truncation", f.Truncation}, {"padding", f.Padding}, {"normalizer", f.Normalizer},
		{"post_processor", f.PostProcessor}, {"decoder", f.Decoder}} {
		if !isNull(s.raw) {
			return fmt.Errorf("%s %s, expected null (lebm writes none and reads no other)", s.name, snippet(s.raw))
		}
	}
	var pre struct {
		Type string `json:"type"`
	}
	if isNull(f.PreTokenizer) || json.Unmarshal(f.PreTokenizer, &pre) != nil || pre.Type != "WhitespaceSplit" {
		return fmt.Errorf(`pre_tokenizer %s, expected {"type": "WhitespaceSplit"} as lebm writes it`, snippet(f.PreTokenizer))
	}
	if isNull(f.AddedTokens) {
		return nil
	}
	var added []struct {
		ID      *int64  `json:"id"`
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(f.AddedTokens, &added); err != nil {
		return fmt.Errorf("added_tokens %s, expected a list of {\"id\": ..., \"content\": ...}", snippet(f.AddedTokens))
	}
	for _, a := range added {
		if a.ID == nil || a.Content == nil || *a.ID < 0 || *a.ID > 3 || specialWords[*a.ID] != *a.Content {
			return fmt.Errorf("added token %s, expected only %s %s %s %s as ids 0-3",
				addedString(a.ID, a.Content), PadToken, UnkToken, BosToken, EosToken)
		}
	}
	return nil
}

func addedString(id *int64, content *string) string {
	s := "{"
	if id != nil {
		s += fmt.Sprintf("id %d", *id)
	} else {
		s += "no id"
	}
	if content != nil {
		s += fmt.Sprintf(", content %q}", *content)
	} else {
		s += ", no content}"
	}
	return s
}

// isNull: a section absent or null.
func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

// snippet is raw JSON for a message: compacted, at most 60 bytes.
func snippet(raw json.RawMessage) string {
	if isNull(raw) {
		return "null"
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		buf.Reset()
		buf.Write(raw)
	}
	s := buf.String()
	if len(s) > 60 {
		cut := 57
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
