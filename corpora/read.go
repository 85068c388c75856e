package corpora

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the longest line accepted by ReadFile: longer lines are an error (a corpus with
// such lines is usually not split into one example per line).
const DefaultMaxLineBytes = 1 << 20

// LineError locates a problem in a corpus file.
type LineError struct {
	File string
	Line int // 1-based; 0 when the problem is with the whole file
	Msg  string
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadFile reads a corpus file: one example per line, tokens separated by whitespace (Windows line ends,
// CRLF, are read as line ends; a UTF-8 byte-order mark at the start of the file is dropped). Blank lines
// are skipped. It fails, naming the file (and the line where one is at fault), on a missing or empty file,
// a directory, a read error, invalid UTF-8, or a line longer than maxLineBytes (DefaultMaxLineBytes,
// 1 MiB, when 0).
func ReadFile(path string, maxLineBytes int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &LineError{File: path, Msg: "file not found (expected one example per line, whitespace-separated tokens)"}
		}
		return nil, &LineError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() { // reading it would fail with a read error at "line 1"
		return nil, &LineError{File: path, Msg: "is a directory, expected a text file with one example per line"}
	}
	return Read(f, path, maxLineBytes)
}

// Read is ReadFile on an io.Reader; name is used in errors.
func Read(r io.Reader, name string, maxLineBytes int) ([][]string, error) {
	if maxLineBytes <= 0 {
		maxLineBytes = DefaultMaxLineBytes
	}
	br := bufio.NewReaderSize(r, 64*1024)
	var out [][]string
	lineNo := 0
	for {
		line, err := readLine(br, maxLineBytes)
		if err == io.EOF {
			break
		}
		lineNo++
		if errors.Is(err, errLineTooLong) {
			return nil, &LineError{File: name, Line: lineNo, Msg: fmt.Sprintf("line longer than %d bytes (expected one example per line)", maxLineBytes)}
		}
		if err != nil { // a read error is the file's, not a line's: the line it stopped in may not exist
			if lineNo == 1 {
				return nil, &LineError{File: name, Msg: fmt.Sprintf("cannot be read: %v", err)}
			}
			return nil, &LineError{File: name, Msg: fmt.Sprintf("read error after line %d: %v", lineNo-1, err)}
		}
		if !utf8.Valid(line) {
			return nil, &LineError{File: name, Line: lineNo, Msg: fmt.Sprintf("invalid UTF-8 at byte %d", FirstInvalidUTF8(line))}
		}
		if lineNo == 1 { // a UTF-8 byte-order mark (editors on Windows write one) is not part of the first word
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		toks := strings.Fields(string(line))
		if len(toks) == 0 {
			continue
		}
		out = append(out, toks)
	}
	if len(out) == 0 {
		return nil, &LineError{File: name, Msg: "no examples (file is empty or blank; expected one example per line)"}
	}
	return out, nil
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its terminator, or io.EOF when there is none.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF && buf != nil {
				return buf, nil
			}
			return nil, err
		}
		buf = append(buf, chunk...)
		if len(buf) > max {
			// Drain the rest of the line so that the caller could continue if it wanted to.
			for isPrefix {
				_, isPrefix, err = br.ReadLine()
				if err != nil {
					break
				}
			}
			return nil, errLineTooLong
		}
		if !isPrefix {
			return bytes.TrimSuffix(buf, []byte("\r")), nil
		}
	}
}

// FirstInvalidUTF8 is the 1-based position of the first byte of b that is not valid UTF-8 (0: none).
func FirstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i + 1
		}
		i += size
	}
	return 0
}

// Splits are the files a corpus directory holds.
var Splits = []string{"train", "valid", "test"}

// Corpus is a corpus directory read into memory: tokenised sentences per split.
type Corpus struct {
	Name   string
	Train  [][]string
	Valid  [][]string
	Test   [][]string
	Labels map[string][]int // optional per-split labels (the embedded corpus's topics), nil for files
}

// Split returns the sentences of a split by name.
func (c *Corpus) Split(name string) ([][]string, error) {
	switch name {
	case "train":
		return c.Train, nil
	case "valid":
		return c.Valid, nil
	case "test":
		return c.Test, nil
	}
	return nil, fmt.Errorf("unknown split %q (expected train, valid or test)", name)
}

// ReadDir reads DIR/train.txt, DIR/valid.txt and DIR/test.txt.
func ReadDir(dir string) (*Corpus, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("corpus directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("corpus %s: not a directory (expected a directory holding train.txt, valid.txt and test.txt)", dir)
	}
	c := &Corpus{Name: dir}
	for _, s := range Splits {
		sents, err := ReadFile(dir+string(os.PathSeparator)+s+".txt", 0)
		if err != nil {
			return nil, err
		}
		switch s {
		case "train":
			c.Train = sents
		case "valid":
			c.Valid = sents
		case "test":
			c.Test = sents
		}
	}
	return c, nil
}

// MovedHint adds to the error of reading a run's recorded data (recorded; given: the --data the user gave,
// "" for none) that --data can point at a moved copy. Other errors are returned as they are.
func MovedHint(err error, recorded, given string) error {
	if given == "" && recorded != "" {
		return fmt.Errorf("%w (the run recorded its data as %s; if it has moved, give --data with its new place)", err, recorded)
	}
	return err
}

// Digest is a SHA-256 of examples (their tokens, a space between, a newline after each): what a run
// records of its training split, so that a resumed run can tell a moved copy of its corpus from another.
func Digest(examples [][]string) string {
	h := sha256.New()
	for _, ex := range examples {
		h.Write([]byte(strings.Join(ex, " ")))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
