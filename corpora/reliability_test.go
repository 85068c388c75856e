package corpora

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// bpeTokenizerJSON is a minimal Hugging Face BPE tokenizer.json (the shape GPT-2's has): sugarme/tokenizer
// panics on it (createBPE asserts "dropout": null to be a float64).
const bpeTokenizerJSON = `{
 "version": "1.0",
 "truncation": null,
 "padding": null,
 "added_tokens": [],
 "normalizer": null,
 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
 "post_processor": null,
 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
 "model": {
  "type": "BPE",
  "dropout": null,
  "unk_token": null,
  "continuing_subword_prefix": null,
  "end_of_word_suffix": null,
  "fuse_unk": false,
  "byte_fallback": false,
  "vocab": {"a": 0, "b": 1, "ab": 2},
  "merges": ["a b"]
 }
}`

// wordLevelJSON is a tokenizer.json as TokenizerJSON writes it, with model and extra top-level text given.
func wordLevelJSON(model, extra string) string {
	return `{"version": "1.0", "truncation": null, "padding": null, "normalizer": null,
 "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null` + extra + `,
 "model": ` + model + `}`
}

const lebmVocab = `{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 4, "sat": 5}`

// TestLoadTokenizerRejectsOthers: tokenizer.json files lebm did not write are errors naming the file and
// what was expected, not panics inside sugarme/tokenizer nor vocabularies lebm cannot use.
func TestLoadTokenizerRejectsOthers(t *testing.T) {
	wl := func(vocab string) string {
		return wordLevelJSON(`{"type": "WordLevel", "unk_token": "<unk>", "vocab": `+vocab+`}`, "")
	}
	cases := []struct{ name, json, want string }{
		{"bpe", bpeTokenizerJSON, `model type "BPE", lebm reads only the "WordLevel" tokenizers it writes`},
		{"wordpiece", wordLevelJSON(`{"type": "WordPiece", "vocab": {"a": 0}}`, ""), `model type "WordPiece"`},
		{"unigram", wordLevelJSON(`{"type": "Unigram", "vocab": [["a", -1.5]]}`, ""), `model type "Unigram"`},
		{"no type", wordLevelJSON(`{"unk_token": "<unk>", "vocab": `+lebmVocab+`}`, ""), `model has no "type"`},
		{"type not a string", wordLevelJSON(`{"type": 7, "vocab": {}}`, ""), `model type 7`},
		{"no model", `{"version": "1.0"}`, `no "model"`},
		{"model a list", wordLevelJSON(`[1, 2]`, ""), `model [1,2] is not a JSON object`},
		{"not an object", `[1, 2, 3]`, "not a JSON object"},
		{"not json", `{"model": `, "not valid JSON"},
		{"no vocab", wordLevelJSON(`{"type": "WordLevel", "unk_token": "<unk>"}`, ""), `model has no "vocab"`},
		{"vocab a list", wl(`["<pad>", "<unk>"]`), "is not an object of word: id"},
		{"gap", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 5}`),
			`model vocab: "cat" has id 5, expected ids 0..4, one word each (id 4 has none)`},
		{"duplicate id", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 3}`),
			`model vocab: "<eos>" and "cat" both have id 3, expected ids 0..4, one word each`},
		{"negative id", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": -4}`), `"cat" has id -4`},
		{"huge id", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 99999999999999999999999}`),
			`"cat" has id 99999999999999999999999, expected ids 0..4`},
		{"string id", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": "4"}`), `"cat" has id "4", expected an integer`},
		{"fractional id", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "cat": 4.5}`), `"cat" has id 4.5, expected an integer`},
		{"no specials", wl(`{"cat": 0, "sat": 1, "on": 2, "mat": 3, "the": 4}`),
			`model vocab: ids 0-3 are ["cat" "sat" "on" "mat"], expected <pad> <unk> <bos> <eos>`},
		{"specials moved", wl(`{"<unk>": 0, "<pad>": 1, "<bos>": 2, "<eos>": 3}`), "ids 0-3 are"},
		{"too few", wl(`{"<pad>": 0, "<unk>": 1}`), "2 words, expected at least <pad> <unk> <bos> <eos> as ids 0-3"},
		{"empty vocab", wl(`{}`), "0 words, expected at least"},
		{"empty word", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "": 4}`), "id 4 is the empty word"},
		{"spaced word", wl(`{"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "a b": 4}`), "holds whitespace"},
		{"other unk", wordLevelJSON(`{"type": "WordLevel", "unk_token": "[UNK]", "vocab": `+lebmVocab+`}`, ""),
			`model unk_token "[UNK]", expected "<unk>"`},
		{"no unk", wordLevelJSON(`{"type": "WordLevel", "vocab": `+lebmVocab+`}`, ""), `model has no "unk_token"`},
		{"normalizer", strings.Replace(wl(lebmVocab), `"normalizer": null`, `"normalizer": {"type": "Lowercase"}`, 1),
			`normalizer {"type":"Lowercase"}, expected null`},
		{"truncation", strings.Replace(wl(lebmVocab), `"truncation": null`, `"truncation": {"max_length": "x"}`, 1),
			"truncation"},
		{"pre-tokenizer", strings.Replace(wl(lebmVocab), `"WhitespaceSplit"`, `"Whitespace"`, 1),
			`pre_tokenizer {"type":"Whitespace"}, expected {"type": "WhitespaceSplit"}`},
		{"added token", wordLevelJSON(`{"type": "WordLevel", "unk_token": "<unk>", "vocab": `+lebmVocab+`}`,
			`, "added_tokens": [{"id": 6, "content": "[MASK]", "special": true}]`),
			`added token {id 6, content "[MASK]"}, expected only <pad> <unk> <bos> <eos> as ids 0-3`},
		{"added tokens a map", wordLevelJSON(`{"type": "WordLevel", "unk_token": "<unk>", "vocab": `+lebmVocab+`}`,
			`, "added_tokens": {"id": 6}`), "added_tokens"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.name+".json", c.json)
			v, tk, err := LoadTokenizer(p)
			if err == nil {
				t.Fatalf("loaded %q (tokenizer %v), want an error", v.Words, tk != nil)
			}
			if !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want one starting %q and saying %q", err, p+": ", c.want)
			}
		})
	}
	if _, _, err := LoadTokenizer(dir); err == nil || err.Error() != dir+": is a directory (expected the tokenizer.json lebm writes)" {
		t.Errorf("directory: %v", err)
	}
	missing := filepath.Join(dir, "none.json")
	if _, _, err := LoadTokenizer(missing); err == nil || !strings.HasPrefix(err.Error(), missing+": no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestLoadTokenizerAcceptsLebms: what TokenizerJSON writes loads, also re-serialised compactly, without
// added_tokens or with extra keys (as another JSON tool might leave it).
func TestLoadTokenizerAcceptsLebms(t *testing.T) {
	v := NewVocab([]string{PadToken, UnkToken, BosToken, EosToken, "cat", "sat", "<b>", "x\u00e9"})
	data, err := v.TokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	compact := wordLevelJSON(`{"type":"WordLevel","unk_token":"<unk>","vocab":{"<pad>":0,"<unk>":1,"<bos>":2,"<eos>":3,"cat":4,"sat":5}}`,
		`, "added_tokens": null, "comment": "kept by hand"`)
	for name, content := range map[string]string{"written": string(data), "compact": compact} {
		p := writeFile(t, dir, name+".json", content)
		got, tk, err := LoadTokenizer(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := v.Words
		if name == "compact" {
			want = want[:6]
		}
		if !reflect.DeepEqual(got.Words, want) {
			t.Fatalf("%s: words %q, want %q", name, got.Words, want)
		}
		ids, err := EncodeWithTokenizer(tk, "cat dog sat")
		if err != nil || !reflect.DeepEqual(ids, []int{4, UnkID, 5}) {
			t.Fatalf("%s: encoded %v, %v", name, ids, err)
		}
	}
}

// TestTokenizerJSONRefusesWhatWouldNotLoad: a vocabulary LoadTokenizer would refuse is an error when
// written, not a panic (fewer than four words) nor a file that does not load.
func TestTokenizerJSONRefusesWhatWouldNotLoad(t *testing.T) {
	specials := []string{PadToken, UnkToken, BosToken, EosToken}
	for name, words := range map[string][]string{
		"empty":     nil,
		"no eos":    specials[:3],
		"repeated":  append(specials[:4:4], "a", "b", "a"),
		"spaced":    append(specials[:4:4], "a b"),
		"bad utf-8": append(specials[:4:4], "\xff"),
	} {
		if _, err := NewVocab(words).TokenizerJSON(); err == nil || !strings.HasPrefix(err.Error(), "vocabulary: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestReadDirSplitIsDirectory: a train.txt (or valid.txt, test.txt) that is a directory is named as such,
// without a line number (it has no line 1).
func TestReadDirSplitIsDirectory(t *testing.T) {
	for _, split := range Splits {
		dir := t.TempDir()
		for _, s := range Splits {
			writeFile(t, dir, s+".txt", "a b\n")
		}
		p := filepath.Join(dir, split+".txt")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := ReadDir(dir)
		if err == nil || err.Error() != p+": is a directory, expected a text file with one example per line" {
			t.Errorf("%s: error %v", split, err)
		}
	}
}

// TestReadErrorIsTheFiles: a read error is reported for the file (after the lines read), not at a line.
func TestReadErrorIsTheFiles(t *testing.T) {
	boom := errors.New("boom")
	_, err := Read(iotest.ErrReader(boom), "x.txt", 0)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 0 || err.Error() != "x.txt: cannot be read: boom" {
		t.Errorf("at the start: %v", err)
	}
	r := iotest.DataErrReader(strings.NewReader("ab\ncd\n"))
	if _, err := Read(r, "x.txt", 0); err != nil {
		t.Errorf("EOF with the data: %v", err)
	}
	_, err = Read(readThenFail{strings.NewReader("ab\ncd\nef"), 6, boom}, "x.txt", 0)
	if !errors.As(err, &le) || le.Line != 0 || err.Error() != "x.txt: read error after line 2: boom" {
		t.Errorf("after two lines: %v", err)
	}
}

// readThenFail reads n bytes of r, then fails with err.
type readThenFail struct {
	r   *strings.Reader
	n   int
	err error
}

func (f readThenFail) Read(p []byte) (int, error) {
	done := int(f.r.Size()) - f.r.Len()
	if done >= f.n {
		return 0, f.err
	}
	return f.r.Read(p[:min(len(p), f.n-done)])
}

// TestImageFilesThatAreDirectories: an image data file that is a directory is named as such.
func TestImageFilesThatAreDirectories(t *testing.T) {
	mnist := t.TempDir()
	os.Mkdir(filepath.Join(mnist, "train-images-idx3-ubyte"), 0o755)
	writeBytes(t, filepath.Join(mnist, "train-labels-idx1-ubyte"), idxLabels([]byte{1}))
	cifar := t.TempDir()
	os.Mkdir(filepath.Join(cifar, "data_batch_1.bin"), 0o755)
	svhn := t.TempDir()
	os.Mkdir(filepath.Join(svhn, "train_32x32.mat"), 0o755)
	for _, c := range []struct {
		format, path, file, want string
	}{
		{FormatMNIST, mnist, "train-images-idx3-ubyte", "an MNIST idx file"},
		{FormatCIFAR10, cifar, "data_batch_1.bin", "a CIFAR-10 binary batch"},
		{FormatSVHN, svhn, "train_32x32.mat", "a level-5 MAT-file"},
	} {
		_, err := LoadImages(c.format, c.path, 0, 0, nil)
		if want := filepath.Join(c.path, c.file) + ": is a directory, expected " + c.want; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want %q...", c.format, err, want)
		}
	}
}

// TestMATOffsetsInCompressedData: an error inside a compressed element gives its offset in the
// decompressed data, saying so, not as if it were a byte of the file.
func TestMATOffsetsInCompressedData(t *testing.T) {
	inner := make([]byte, 8) // a matrix tag that says 100 bytes, with none after it
	binary.LittleEndian.PutUint32(inner, miMATRIX)
	binary.LittleEndian.PutUint32(inner[4:], 100)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(inner)
	zw.Close()
	file := make([]byte, 128+8)
	copy(file[126:], "IM")
	binary.LittleEndian.PutUint32(file[128:], miCOMPRESSED)
	binary.LittleEndian.PutUint32(file[132:], uint32(z.Len()))
	file = append(file, z.Bytes()...)
	p := filepath.Join(t.TempDir(), "x.mat")
	writeBytes(t, p, file)
	_, err := ReadMAT(p)
	want := p + ": element at byte 0 of the data decompressed from the element at byte 128: element of type 14 says 100 bytes, 0 are left: truncated"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}
