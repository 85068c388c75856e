package corpora

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// Fuzz targets; plain `go test` runs their seeds. To fuzz:
//
//	go test ./corpora -run XXX -fuzz FuzzReadCorpus -fuzztime 60s
//	go test ./corpora -run XXX -fuzz FuzzLoadTokenizer -fuzztime 60s

// FuzzReadCorpus feeds bytes to Read, the reader of one split file, and checks it against referenceRead:
// the same sentences, or the same error at the same line (a line that exists), an error naming the file.
// maxLine is Read's line limit (0: the default, 1 MiB); long, when 1-3, puts in front of the bytes the
// start of a first line of 1 MiB - 2 + long bytes, one short of the default limit, at it, or one over (a
// seed of over 1 MiB would make the fuzzer spend its time minimising it); oneByte reads in small pieces.
func FuzzReadCorpus(f *testing.F) {
	for _, s := range []struct {
		data    string
		maxLine uint16
		long    uint8
		oneByte bool
	}{
		{"the cat sat\nthe dog ran\n", 0, 0, false},
		{"the cat\r\nsat down\r\n", 0, 0, true},
		{"\ufeffthe cat\r\n\r\n\ufeffsat\n", 0, 0, false},
		{"good line\nbad \xff\xfe here\n", 0, 0, false},
		{"nul\x00byte\nand\x00\x00more\x00\n", 0, 0, false},
		{"short\n" + strings.Repeat("x ", 40) + "\nshort", 50, 0, false},
		{strings.Repeat("y", 50) + "\r\n" + strings.Repeat("z", 50) + "\r", 50, 0, true},
		{"a\rb\r\r\n\r", 0, 0, false},
		{"", 0, 0, false},
		{"  \n\t\n\r\n", 0, 0, false},
		{"\xef\xbb", 0, 0, false},
		{"\u0085\u00a0word\u2028\n", 0, 0, false},
		{"last line without newline", 3, 0, false},
		{"\nnext\n", 0, 1, false},
		{"\r\nnext\n", 0, 2, true},
		{"\nnext\n", 0, 3, false},
		{"a\xff\n", 0, 2, false},
	} {
		f.Add([]byte(s.data), s.maxLine, s.long, s.oneByte)
	}
	const name = "corpus/train.txt"
	f.Fuzz(func(t *testing.T, data []byte, maxLine uint16, long uint8, oneByte bool) {
		if k := int(long % 4); k > 0 {
			n := DefaultMaxLineBytes - 2 + k
			data = append(bytes.Repeat([]byte("w "), n/2+1)[:n], data...)
		}
		var r io.Reader = bytes.NewReader(data)
		switch {
		case oneByte && len(data) <= 1<<16:
			r = iotest.OneByteReader(r)
		case oneByte:
			r = iotest.HalfReader(r)
		}
		got, err := Read(r, name, int(maxLine))
		want, wantLine, wantMsg := referenceRead(data, int(maxLine))
		if wantMsg == "" {
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("read %q, %v; want %q", got, err, want)
			}
			for _, s := range got {
				for _, w := range s {
					if w == "" || !utf8.ValidString(w) || len(strings.Fields(w)) != 1 {
						t.Fatalf("word %q", w)
					}
				}
			}
			return
		}
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error %v (%T), want a LineError at line %d saying %q", err, err, wantLine, wantMsg)
		}
		if got != nil || le.File != name || le.Line != wantLine || !strings.Contains(le.Msg, wantMsg) ||
			!strings.HasPrefix(err.Error(), name+":") {
			t.Fatalf("error %q (line %d), want one at line %d saying %q", err, le.Line, wantLine, wantMsg)
		}
	})
}

// referenceRead is what Read must do, written plainly on the whole input: the sentences, or the line (0:
// the file) and words of the first error.
func referenceRead(data []byte, maxLine int) (sents [][]string, errLine int, errMsg string) {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	lines := bytes.Split(data, []byte("\n"))
	terminated := len(lines) - 1 // lines [0, terminated) end with "\n"
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // nothing after the last "\n": no line there
	}
	for i, l := range lines {
		if i < terminated {
			l = bytes.TrimSuffix(l, []byte("\r")) // a CRLF line end
		}
		if len(l) > maxLine {
			return nil, i + 1, fmt.Sprintf("line longer than %d bytes", maxLine)
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if p := FirstInvalidUTF8(l); p > 0 {
			return nil, i + 1, fmt.Sprintf("invalid UTF-8 at byte %d", p)
		}
		if i == 0 {
			l = bytes.TrimPrefix(l, []byte("\ufeff"))
		}
		if w := strings.Fields(string(l)); len(w) > 0 {
			sents = append(sents, w)
		}
	}
	if len(sents) == 0 {
		return nil, 0, "no examples"
	}
	return sents, 0, ""
}

// FuzzLoadTokenizer writes bytes as a tokenizer.json and loads it: no panic; an error names the file;
// what loads is a vocabulary lebm can use, that writes and loads back the same, and whose tokenizer
// encodes like it.
func FuzzLoadTokenizer(f *testing.F) {
	written, err := NewVocab([]string{PadToken, UnkToken, BosToken, EosToken, "the", "cat", "mr.", "'s", "N"}).TokenizerJSON()
	if err != nil {
		f.Fatal(err)
	}
	wl := func(vocab string) string {
		return wordLevelJSON(`{"type": "WordLevel", "unk_token": "<unk>", "vocab": `+vocab+`}`, "")
	}
	for _, s := range []string{
		string(written),
		bpeTokenizerJSON,
		wl(lebmVocab),
		wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 5}`),
		wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 3}`),
		wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 1e30}`),
		wl(`{"cat": 0, "sat": 1, "on": 2, "mat": 3}`),
		wordLevelJSON(`{"type": "Unigram", "vocab": [["a", -1.5]]}`, ""),
		wordLevelJSON(`{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "##a": 1}}`, ""),
		strings.Replace(wl(lebmVocab), `"truncation": null`, `"truncation": {"max_length": 5, "stride": 0, "strategy": "LongestFirst"}`, 1),
		`{"model": {"type": "WordLevel", "vocab": {"<pad>": 0}, "unk_token": "<unk>"}, "added_tokens": [{"id": 0}]}`,
		"", "null", "{}", "[]", `"x"`, "{\"model\":",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "tokenizer.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, tk, err := LoadTokenizer(p)
		if err != nil {
			if v != nil || tk != nil || !strings.HasPrefix(err.Error(), p+": ") {
				t.Fatalf("error %q (vocab %v, tokenizer %v), want one starting %q and nothing else", err, v != nil, tk != nil, p+": ")
			}
			return
		}
		if err := checkWords(v.Words); err != nil {
			t.Fatalf("loaded an unusable vocabulary: %v", err)
		}
		again, err := v.TokenizerJSON()
		if err != nil {
			t.Fatal(err)
		}
		if words, err := tokenizerWords(p, again); err != nil || !reflect.DeepEqual(words, v.Words) {
			t.Fatalf("written again: %q, %v; want %q", words, err, v.Words)
		}
		var plain []string // words that hold no special token, which the tokenizer would split out
		for _, w := range v.Words[4:] {
			if !holdsSpecial(w) {
				plain = append(plain, w)
			}
		}
		plain = append(plain, "unseen-word", UnkToken, EosToken)
		ids, err := EncodeWithTokenizer(tk, strings.Join(plain, " "))
		if want := v.Encode(plain); err != nil || !reflect.DeepEqual(ids, want) {
			t.Fatalf("tokenizer encodes %q as %v, %v; the vocabulary as %v", plain, ids, err, want)
		}
	})
}

func holdsSpecial(w string) bool {
	for _, s := range specialWords {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}
