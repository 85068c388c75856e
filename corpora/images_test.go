package corpora

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeBytes(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func idxImages(n, rows, cols int, pix func(i, r, c int) uint8) []byte {
	b := make([]byte, 16, 16+n*rows*cols)
	binary.BigEndian.PutUint32(b, idxImagesMagic)
	binary.BigEndian.PutUint32(b[4:], uint32(n))
	binary.BigEndian.PutUint32(b[8:], uint32(rows))
	binary.BigEndian.PutUint32(b[12:], uint32(cols))
	for i := 0; i < n; i++ {
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				b = append(b, pix(i, r, c))
			}
		}
	}
	return b
}

func idxLabels(labels []byte) []byte {
	b := make([]byte, 8, 8+len(labels))
	binary.BigEndian.PutUint32(b, idxLabelsMagic)
	binary.BigEndian.PutUint32(b[4:], uint32(len(labels)))
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestReadMNIST writes a tiny train split gzipped and a test split plain, and reads pixels and labels back.
func TestReadMNIST(t *testing.T) {
	dir := t.TempDir()
	pix := func(i, r, c int) uint8 { return uint8(i*50 + r*3 + c) }
	writeBytes(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), gz(idxImages(3, 2, 3, pix)))
	writeBytes(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz(idxLabels([]byte{7, 1, 9})))
	writeBytes(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), idxImages(2, 2, 3, pix))
	writeBytes(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxLabels([]byte{0, 4}))
	s, err := ReadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.N() != 3 || s.Test.N() != 2 || s.Train.H != 2 || s.Train.W != 3 || s.Train.C != 1 {
		t.Fatalf("got %d/%d images of %dx%dx%d", s.Train.N(), s.Test.N(), s.Train.H, s.Train.W, s.Train.C)
	}
	if s.Train.Labels[2] != 9 || s.Test.Labels[1] != 4 {
		t.Errorf("labels %v %v", s.Train.Labels, s.Test.Labels)
	}
	if got, want := s.Train.Pix[2*6+1*3+2], pix(2, 1, 2); got != want {
		t.Errorf("train image 2 pixel (1,2) = %d, want %d", got, want)
	}
	if f := s.Test.Float([]int{1}); math.Abs(float64(f[0])-(float64(pix(1, 0, 0))/127.5-1)) > 1e-6 {
		t.Errorf("Float scaling: %v", f[0])
	}
}

func TestReadMNISTErrors(t *testing.T) {
	good := idxImages(4, 2, 2, func(i, r, c int) uint8 { return 1 })
	labels := idxLabels([]byte{1, 2, 3, 4})
	badMagic := append([]byte(nil), good...)
	badMagic[3] = 0x01
	cases := []struct {
		name         string
		images, lbls []byte
		want         string
	}{
		{"truncated images", good[:len(good)-3], labels, "truncated or corrupt"},
		{"short header", good[:10], labels, "too short"},
		{"bad magic", badMagic, labels, "magic number"},
		{"label count", good, idxLabels([]byte{1, 2, 3}), "3 labels"},
		{"truncated labels", good, labels[:len(labels)-1], "truncated"},
		{"not a digit", good, idxLabels([]byte{1, 2, 13, 4}), "not a digit"},
		{"corrupt gzip", func() []byte { z := gz(good); return z[:len(z)-10] }(), labels, "gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			img, lbl := filepath.Join(dir, "i"), filepath.Join(dir, "l")
			writeBytes(t, img, c.images)
			writeBytes(t, lbl, c.lbls)
			_, err := ReadIDX(img, lbl)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %v, want one naming the file and saying %q", err, c.want)
			}
		})
	}
	if _, err := ReadMNIST(t.TempDir()); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestReadSharedMNIST reads ../shared's MNIST test split (checksum from its README) and, since it has no
// training images, checks the 80/20 split of the test set.
func TestReadSharedMNIST(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpora", "images", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skip("../shared/corpora/images/mnist not present")
	}
	set, err := ReadIDX(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 10000 || set.H != 28 || set.W != 28 {
		t.Fatalf("%d images of %dx%d", set.N(), set.H, set.W)
	}
	raw := idxImages(0, 28, 28, nil)
	binary.BigEndian.PutUint32(raw[4:], 10000)
	sum := md5.Sum(append(raw, set.Pix...))
	if got := hex.EncodeToString(sum[:]); got != "2646ac647ad5339dbf082846283269ea" {
		t.Errorf("md5 of the decoded file %s, want the canonical 2646ac64...", got)
	}
	splits, err := ReadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if splits.Train.N() != 8000 || splits.Test.N() != 2000 || splits.Note == "" {
		t.Errorf("fallback split %d/%d, note %q", splits.Train.N(), splits.Test.N(), splits.Note)
	}
}

func TestReadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	rec := func(label byte, seed int) []byte {
		b := []byte{label}
		for p := 0; p < 3*1024; p++ {
			b = append(b, byte(seed+p))
		}
		return b
	}
	for i, f := range CIFARTrainFiles {
		writeBytes(t, filepath.Join(dir, f), append(rec(byte(i), i), rec(9, 100+i)...))
	}
	writeBytes(t, filepath.Join(dir, CIFARTestFile), rec(3, 7))
	s, err := ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.N() != 10 || s.Test.N() != 1 || s.Train.Labels[2] != 1 || s.Train.Labels[3] != 9 || s.Test.Labels[0] != 3 {
		t.Fatalf("%d/%d images, labels %v", s.Train.N(), s.Test.N(), s.Train.Labels)
	}
	// test pixel (row 2, col 5), green: plane 1 at offset 1024 + 2*32 + 5 of the record's pixels.
	if got, want := s.Test.Pix[(2*32+5)*3+1], byte((7+1024+2*32+5)%256); got != want {
		t.Errorf("channels-last conversion: %d, want %d", got, want)
	}
	writeBytes(t, filepath.Join(dir, CIFARTestFile), rec(3, 7)[:3000])
	if _, err := ReadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "test_batch.bin") || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("truncated batch: %v", err)
	}
	writeBytes(t, filepath.Join(dir, CIFARTestFile), rec(12, 7))
	if _, err := ReadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "record 0 has label 12") {
		t.Errorf("bad label: %v", err)
	}
	os.Remove(filepath.Join(dir, CIFARTrainFiles[4]))
	if _, err := ReadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "data_batch_5.bin") {
		t.Errorf("missing batch: %v", err)
	}
}

// matFile builds a little-endian level-5 MAT-file holding a uint8 array X and a double array y, each
// plain or inside a zlib-compressed element.
func matFile(dims []int, x []byte, y []float64, compress bool) []byte {
	le := binary.LittleEndian
	elem := func(typ uint32, data []byte) []byte {
		b := make([]byte, 8)
		le.PutUint32(b, typ)
		le.PutUint32(b[4:], uint32(len(data)))
		b = append(b, data...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return b
	}
	matrix := func(name string, class uint32, dims []int, typ uint32, data []byte) []byte {
		flags := make([]byte, 8)
		le.PutUint32(flags, class)
		d := make([]byte, 4*len(dims))
		for i, v := range dims {
			le.PutUint32(d[4*i:], uint32(v))
		}
		var body []byte
		body = append(body, elem(miUINT32, flags)...)
		body = append(body, elem(miINT32, d)...)
		body = append(body, elem(miINT8, []byte(name))...)
		body = append(body, elem(typ, data)...)
		return elem(miMATRIX, body)
	}
	yb := make([]byte, 8*len(y))
	for i, v := range y {
		le.PutUint64(yb[8*i:], math.Float64bits(v))
	}
	header := make([]byte, 128)
	copy(header, "MATLAB 5.0 MAT-file, written by a test")
	header[124], header[125], header[126], header[127] = 0, 1, 'I', 'M'
	out := header
	for _, m := range [][]byte{matrix("X", 9, dims, miUINT8, x), matrix("y", 6, []int{len(y), 1}, miDOUBLE, yb)} {
		if compress {
			var buf bytes.Buffer
			w := zlib.NewWriter(&buf)
			w.Write(m)
			w.Close()
			c := make([]byte, 8)
			le.PutUint32(c, miCOMPRESSED)
			le.PutUint32(c[4:], uint32(buf.Len()))
			m = append(c, buf.Bytes()...)
		}
		out = append(out, m...)
	}
	return out
}

// flip inverts bytes [from, to) of a copy of b.
func flip(b []byte, from, to int) []byte {
	out := append([]byte(nil), b...)
	for i := from; i < to; i++ {
		out[i] ^= 0xff
	}
	return out
}

func TestReadSVHN(t *testing.T) {
	const H, W, n = 3, 2, 2
	x := make([]byte, H*W*3*n) // column-major [H, W, 3, N]
	for i := range x {
		x[i] = byte(i)
	}
	for _, compress := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "test_32x32.mat")
		writeBytes(t, path, matFile([]int{H, W, 3, n}, x, []float64{10, 3}, compress))
		s, err := ReadSVHNFile(path)
		if err != nil {
			t.Fatalf("compressed %v: %v", compress, err)
		}
		if s.N() != n || s.H != H || s.W != W || s.Labels[0] != 0 || s.Labels[1] != 3 {
			t.Fatalf("compressed %v: %d images %dx%d, labels %v", compress, s.N(), s.H, s.W, s.Labels)
		}
		// image 1, row 2, column 1, channel 2 sits at ((1*3+2)*W+1)*H+2 in MATLAB order.
		if got, want := s.Pix[((1*H+2)*W+1)*3+2], x[((1*3+2)*W+1)*H+2]; got != want {
			t.Errorf("compressed %v: column-major conversion %d, want %d", compress, got, want)
		}
	}
	dir := t.TempDir()
	full := matFile([]int{H, W, 3, n}, x, []float64{1, 2}, false)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", full[:len(full)-20], "truncated"},
		{"header only", full[:100], "too short"},
		{"v7.3", append([]byte("MATLAB 7.3 MAT-file, HDF5"), make([]byte, 200)...), "HDF5"},
		{"corrupt zlib", flip(matFile([]int{H, W, 3, n}, x, []float64{1, 2}, true), 140, 150), "compressed"},
		{"bad label", matFile([]int{H, W, 3, n}, x, []float64{1, 12}, false), "label 12"},
	} {
		path := filepath.Join(dir, c.name+".mat")
		writeBytes(t, path, c.data)
		if _, err := ReadSVHNFile(path); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
}

// TestReadFolder: a wide image whose left and right quarters are red and blue and whose middle is green
// must come out green after the centre crop; a corrupt JPEG and a mis-named file are reported by name.
func TestReadFolder(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{0, 200, 0, 255}
			if x < 10 {
				c = color.RGBA{200, 0, 0, 255}
			} else if x >= 30 {
				c = color.RGBA{0, 0, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	for i := 0; i < 10; i++ {
		writeBytes(t, filepath.Join(dir, "img"+string(rune('a'+i))+".png"), buf.Bytes())
	}
	writeBytes(t, filepath.Join(dir, "notes.txt"), []byte("ignored"))
	var last [2]int
	s, err := ReadFolder(dir, 8, 3, func(done, total int) { last = [2]int{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	if last != [2]int{10, 10} {
		t.Errorf("last progress report %v, want [10 10]", last)
	}
	if s.Train.N() != 9 || s.Test.N() != 1 || s.Note == "" {
		t.Fatalf("split %d/%d", s.Train.N(), s.Test.N())
	}
	for p := 0; p < 64; p++ {
		if r, g, b := s.Train.Pix[3*p], s.Train.Pix[3*p+1], s.Train.Pix[3*p+2]; r > 20 || b > 20 || g < 180 {
			t.Fatalf("pixel %d = (%d,%d,%d): the centre crop should be green", p, r, g, b)
		}
	}
	split := t.TempDir()
	for _, sub := range []string{"train", "test"} {
		os.Mkdir(filepath.Join(split, sub), 0o755)
		for i := 0; i < map[string]int{"train": 3, "test": 2}[sub]; i++ {
			writeBytes(t, filepath.Join(split, sub, string(rune('a'+i))+".png"), buf.Bytes())
		}
	}
	if s2, err := ReadFolder(split, 8, 3, nil); err != nil || s2.Train.N() != 3 || s2.Test.N() != 2 || s2.Note != "" {
		t.Fatalf("train/ and test/ subfolders: %v", err)
	}
	gray, err := ReadFolder(dir, 4, 1, nil)
	if err != nil || gray.Train.C != 1 || len(gray.Train.Pix) != 9*16 {
		t.Fatalf("grayscale: %v", err)
	}
	writeBytes(t, filepath.Join(dir, "zz.jpg"), []byte("\xff\xd8\xff not really a jpeg"))
	if _, err := ReadFolder(dir, 8, 3, nil); err == nil || !strings.Contains(err.Error(), "zz.jpg") {
		t.Errorf("corrupt jpeg: %v", err)
	}
	os.Remove(filepath.Join(dir, "zz.jpg"))
	writeBytes(t, filepath.Join(dir, "zz.jpg"), buf.Bytes())
	if _, err := ReadFolder(dir, 8, 3, nil); err == nil || !strings.Contains(err.Error(), "zz.jpg") || !strings.Contains(err.Error(), "png image") {
		t.Errorf("PNG named .jpg: %v", err)
	}
	if _, err := ReadFolder(t.TempDir(), 8, 3, nil); err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("empty folder: %v", err)
	}
}

func TestEmbeddedShapes(t *testing.T) {
	a, b := EmbeddedShapes(), EmbeddedShapes()
	if !bytes.Equal(a.Train.Pix, b.Train.Pix) {
		t.Fatal("the embedded shapes are not deterministic")
	}
	if a.Train.N() != ShapesTrain || a.Test.N() != ShapesTest || a.Train.H != ShapesSize {
		t.Fatalf("sizes %d %d", a.Train.N(), a.Test.N())
	}
	if r, f := a.Test.FloatRange(3, 7), a.Test.Float([]int{3, 4, 5, 6}); !slices.Equal(r, f) {
		t.Error("FloatRange(3, 7) differs from Float of images 3..6")
	}
	counts := make([]int, 3)
	for _, l := range a.Train.Labels {
		counts[l]++
	}
	for k, c := range counts {
		if c < ShapesTrain/4 {
			t.Errorf("shape %s drawn %d times of %d", ShapeNames[k], c, ShapesTrain)
		}
	}
}

func TestImageCursorCoversEpoch(t *testing.T) {
	c := ImageCursor{Seed: 3, Batch: 4}
	seen := map[int]int{}
	for i := 0; i < 5; i++ { // 22 images: 5 batches per epoch, 2 images left out
		for _, j := range c.Next(22) {
			seen[j]++
		}
	}
	if len(seen) != 20 {
		t.Fatalf("an epoch covered %d distinct images, want 20", len(seen))
	}
	c.Next(22)
	if c.Epoch != 1 || c.Pos != 1 {
		t.Errorf("after an epoch: epoch %d pos %d", c.Epoch, c.Pos)
	}
}
