package corpora

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MNIST in the idx format (http://yann.lecun.com/exdb/mnist/): images are big-endian magic 0x00000803,
// count, rows, columns, then count*rows*columns bytes; labels are magic 0x00000801, count, then count
// bytes. Files may be gzip-compressed (detected from their first bytes, whatever their name).
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// MNISTFiles are the standard names of a split's files, without the optional ".gz".
var MNISTFiles = map[string][2]string{
	"train": {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	"test":  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
}

// ReadMNIST reads dir's train and test splits (each file plain or .gz). When dir has the test files but
// no training images, the test set is split instead: its first 80% train, the rest test (said in Note).
func ReadMNIST(dir string) (*ImageSplits, error) {
	out := &ImageSplits{}
	if _, err := findFile(dir, MNISTFiles["train"][0]); err != nil {
		if _, errTest := findFile(dir, MNISTFiles["test"][0]); errTest == nil {
			test, err := readMNISTSplit(dir, "test")
			if err != nil {
				return nil, err
			}
			cut := test.N() * 4 / 5
			out.Train, out.Test = test.Slice(0, cut), test.Slice(cut, test.N())
			out.Note = fmt.Sprintf("%s has no training images: trained on the first %d test images, tested on the last %d", dir, cut, test.N()-cut)
			return out, nil
		}
	}
	var err error
	if out.Train, err = readMNISTSplit(dir, "train"); err != nil {
		return nil, err
	}
	if out.Test, err = readMNISTSplit(dir, "test"); err != nil {
		return nil, err
	}
	return out, nil
}

func readMNISTSplit(dir, split string) (*Images, error) {
	names := MNISTFiles[split]
	imgPath, err := findFile(dir, names[0])
	if err != nil {
		return nil, err
	}
	lblPath, err := findFile(dir, names[1])
	if err != nil {
		return nil, err
	}
	return ReadIDX(imgPath, lblPath)
}

// findFile returns dir/name or dir/name.gz, whichever exists.
func findFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no %s or %s.gz (expected MNIST idx files)", dir, name, name)
}

// readMaybeGzip returns the file's bytes, decompressed when it starts with the gzip magic.
func readMaybeGzip(path string) ([]byte, error) {
	raw, err := readDataFile(path, "an MNIST idx file (plain or gzip-compressed)")
	if err != nil {
		return nil, err
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip header: %w", path, err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt or truncated gzip data: %w", path, err)
		}
		return out, nil
	}
	return raw, nil
}

// ReadIDX reads an idx image file and its label file into a set of [N, rows, cols, 1] images.
func ReadIDX(imagesPath, labelsPath string) (*Images, error) {
	img, err := readMaybeGzip(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(img) < 16 {
		return nil, fmt.Errorf("%s: %d bytes, too short for an idx image header (16 bytes)", imagesPath, len(img))
	}
	if m := binary.BigEndian.Uint32(img); m != idxImagesMagic {
		return nil, fmt.Errorf("%s: magic number 0x%08x, expected 0x%08x (idx unsigned-byte images, rank 3)", imagesPath, m, idxImagesMagic)
	}
	n, rows, cols := int(binary.BigEndian.Uint32(img[4:])), int(binary.BigEndian.Uint32(img[8:])), int(binary.BigEndian.Uint32(img[12:]))
	if rows < 1 || cols < 1 || rows > 4096 || cols > 4096 {
		return nil, fmt.Errorf("%s: image size %dx%d in the header is not plausible", imagesPath, rows, cols)
	}
	if want := 16 + n*rows*cols; len(img) != want {
		return nil, fmt.Errorf("%s: %d bytes, the header (%d images of %dx%d) says %d: truncated or corrupt", imagesPath, len(img), n, rows, cols, want)
	}
	lbl, err := readMaybeGzip(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(lbl) < 8 {
		return nil, fmt.Errorf("%s: %d bytes, too short for an idx label header (8 bytes)", labelsPath, len(lbl))
	}
	if m := binary.BigEndian.Uint32(lbl); m != idxLabelsMagic {
		return nil, fmt.Errorf("%s: magic number 0x%08x, expected 0x%08x (idx unsigned-byte labels, rank 1)", labelsPath, m, idxLabelsMagic)
	}
	if ln := int(binary.BigEndian.Uint32(lbl[4:])); ln != n {
		return nil, fmt.Errorf("%s: %d labels, but %s holds %d images", labelsPath, ln, imagesPath, n)
	}
	if len(lbl) != 8+n {
		return nil, fmt.Errorf("%s: %d bytes, the header (%d labels) says %d: truncated or corrupt", labelsPath, len(lbl), n, 8+n)
	}
	set := &Images{Name: imagesPath, H: rows, W: cols, C: 1, Pix: img[16:], Labels: make([]int, n)}
	for i, v := range lbl[8:] {
		if v > 9 {
			return nil, fmt.Errorf("%s: label %d of image %d is not a digit 0-9", labelsPath, v, i)
		}
		set.Labels[i] = int(v)
	}
	return set, nil
}
