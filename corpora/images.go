package corpora

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
)

// Images is a set of same-sized images stored as bytes, [N, H, W, C] row-major (channels last), with an
// optional class label per image (-1 when there is none).
type Images struct {
	Name    string // where they came from, for messages
	H, W, C int
	Pix     []uint8 // N*H*W*C values in 0..255
	Labels  []int
}

// Digest is a SHA-256 of the images' size, pixels and labels (see corpora.Digest).
func (s *Images) Digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%dx%dx%d\n", s.H, s.W, s.C)
	h.Write(s.Pix)
	for _, l := range s.Labels {
		fmt.Fprintf(h, "%d\n", l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// N is the number of images.
func (s *Images) N() int {
	if s.H*s.W*s.C == 0 {
		return 0
	}
	return len(s.Pix) / (s.H * s.W * s.C)
}

// Pixels is H*W*C.
func (s *Images) Pixels() int { return s.H * s.W * s.C }

// Float returns images idx as float32 in [-1, 1] (v / 127.5 - 1), flat [len(idx)*H*W*C].
func (s *Images) Float(idx []int) []float32 {
	p := s.Pixels()
	out := make([]float32, len(idx)*p)
	for r, i := range idx {
		scale(out[r*p:(r+1)*p], s.Pix[i*p:(i+1)*p])
	}
	return out
}

// FloatRange returns images [from, to) as Float does.
func (s *Images) FloatRange(from, to int) []float32 {
	p := s.Pixels()
	out := make([]float32, (to-from)*p)
	scale(out, s.Pix[from*p:to*p])
	return out
}

// scale writes bytes v as v / 127.5 - 1 into dst.
func scale(dst []float32, src []uint8) {
	for j, v := range src {
		dst[j] = float32(v)/127.5 - 1
	}
}

// Without returns the images whose label is not class (all of them for class < 0).
func (s *Images) Without(class int) *Images {
	if class < 0 {
		return s
	}
	out := &Images{Name: fmt.Sprintf("%s without class %d", s.Name, class), H: s.H, W: s.W, C: s.C}
	p := s.Pixels()
	for i := 0; i < s.N(); i++ {
		if s.Labels[i] != class {
			out.Pix = append(out.Pix, s.Pix[i*p:(i+1)*p]...)
			out.Labels = append(out.Labels, s.Labels[i])
		}
	}
	return out
}

// Slice returns images [from, to).
func (s *Images) Slice(from, to int) *Images {
	out := *s
	out.Name = fmt.Sprintf("%s [%d:%d]", s.Name, from, to)
	out.Pix, out.Labels = s.Pix[from*s.Pixels():to*s.Pixels()], s.Labels[from:to]
	return &out
}

// ImageSplits are the training and test images of a data set.
type ImageSplits struct {
	Train, Test *Images
	Note        string // how the splits were made when the files did not say (else "")
}

// ImageCursor walks a set in a deterministic order: a fresh seeded permutation every epoch, batches of a
// fixed size (the last incomplete batch of an epoch is dropped, so that every batch has one shape).
// Epoch and Pos are saved in checkpoints.
type ImageCursor struct {
	Seed       uint64
	Batch      int
	Epoch, Pos int // Pos: next batch within the epoch

	perm      []int // the permutation of epoch permEpoch (a cache)
	permEpoch int
}

// Next returns the indices of the next batch of a set of n images (n >= Batch).
func (c *ImageCursor) Next(n int) []int {
	per := n / c.Batch
	if c.Pos >= per {
		c.Epoch, c.Pos = c.Epoch+1, 0
	}
	if len(c.perm) != n || c.permEpoch != c.Epoch {
		c.perm, c.permEpoch = rand.New(rand.NewPCG(c.Seed, uint64(c.Epoch)+0x1a6e5)).Perm(n), c.Epoch
	}
	out := c.perm[c.Pos*c.Batch : (c.Pos+1)*c.Batch]
	c.Pos++
	return out
}

// Image data formats read by LoadImages.
const (
	FormatEmbedded = "embedded" // the generated shapes (no path)
	FormatMNIST    = "mnist"    // idx files
	FormatCIFAR10  = "cifar10"  // CIFAR-10 binary batches
	FormatSVHN     = "svhn"     // SVHN cropped-digits MAT-files
	FormatFolder   = "folder"   // a folder of PNG/JPEG images, centre-cropped and resized
)

// LoadImages reads a data set in the given format; a folder is resized to size x size with channels, and
// its decoding (the slow reader) reports to progress (may be nil).
func LoadImages(format, path string, size, channels int, progress func(done, total int)) (*ImageSplits, error) {
	if format != FormatEmbedded && path == "" {
		return nil, fmt.Errorf("the %s format needs a data path", format)
	}
	switch format {
	case FormatEmbedded:
		return EmbeddedShapes(), nil
	case FormatMNIST:
		return ReadMNIST(path)
	case FormatCIFAR10:
		return ReadCIFAR10(path)
	case FormatSVHN:
		return ReadSVHN(path)
	case FormatFolder:
		return ReadFolder(path, size, channels, progress)
	}
	return nil, fmt.Errorf("unknown image format %q (expected %s, %s, %s, %s or %s)", format, FormatEmbedded, FormatMNIST, FormatCIFAR10, FormatSVHN, FormatFolder)
}

// readDataFile reads a whole data file; a directory in its place is an error naming it and what was
// expected there (rather than the read error of a directory).
func readDataFile(path, expected string) ([]byte, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, expected %s", path, expected)
	}
	return os.ReadFile(path)
}
