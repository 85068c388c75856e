package corpora

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
)

// SVHN's cropped-digits files (http://ufldl.stanford.edu/housenumbers/): train_32x32.mat and
// test_32x32.mat, MATLAB level-5 MAT-files holding X (uint8, 32x32x3xN, column-major) and y (N x 1,
// labels 1..10 where 10 is the digit 0). No MAT reader is in GoMLX's dependency tree, so this is a small
// reader of the level-5 format (MathWorks, "MAT-File Format", 2023): numeric real arrays, plain or
// zlib-compressed (miCOMPRESSED) elements, either byte order.

// SVHNFiles are the split files read by ReadSVHN.
var SVHNFiles = map[string]string{"train": "train_32x32.mat", "test": "test_32x32.mat"}

// MAT-file data types and array classes used here.
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
)

// MatArray is a numeric real array of a MAT-file: its dimensions (MATLAB order) and its values in
// column-major order, in the element's stored type (Type, one of the mi* codes) as raw bytes.
type MatArray struct {
	Name  string
	Dims  []int
	Type  uint32
	Data  []byte
	order binary.ByteOrder
}

// Len is the number of values.
func (a *MatArray) Len() int {
	n := 1
	for _, d := range a.Dims {
		n *= d
	}
	return n
}

// Float returns value i as float64.
func (a *MatArray) Float(i int) float64 {
	d := a.Data
	switch a.Type {
	case miINT8:
		return float64(int8(d[i]))
	case miUINT8:
		return float64(d[i])
	case miINT16:
		return float64(int16(a.order.Uint16(d[2*i:])))
	case miUINT16:
		return float64(a.order.Uint16(d[2*i:]))
	case miINT32:
		return float64(int32(a.order.Uint32(d[4*i:])))
	case miUINT32:
		return float64(a.order.Uint32(d[4*i:]))
	case miSINGLE:
		return float64(math.Float32frombits(a.order.Uint32(d[4*i:])))
	case miDOUBLE:
		return math.Float64frombits(a.order.Uint64(d[8*i:]))
	case miINT64:
		return float64(int64(a.order.Uint64(d[8*i:])))
	case miUINT64:
		return float64(a.order.Uint64(d[8*i:]))
	}
	return math.NaN()
}

func miSize(t uint32) int {
	switch t {
	case miINT8, miUINT8:
		return 1
	case miINT16, miUINT16:
		return 2
	case miINT32, miUINT32, miSINGLE:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// ReadMAT reads the numeric real arrays of a level-5 MAT-file, by name.
func ReadMAT(path string) (map[string]*MatArray, error) {
	raw, err := readDataFile(path, "a level-5 MAT-file")
	if err != nil {
		return nil, err
	}
	if len(raw) < 128 {
		return nil, fmt.Errorf("%s: %d bytes, too short for a MAT-file header (128 bytes)", path, len(raw))
	}
	if strings.HasPrefix(string(raw[:19]), "MATLAB 7.3 MAT-file") {
		return nil, fmt.Errorf("%s: a MATLAB 7.3 (HDF5) MAT-file; only level-5 files are read (save with -v7, as SVHN's files are)", path)
	}
	var order binary.ByteOrder
	switch string(raw[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: no MAT-file endian indicator at byte 126 (not a level-5 MAT-file)", path)
	}
	out := map[string]*MatArray{}
	inFile := func(off int) string { return fmt.Sprintf("byte %d", 128+off) }
	if err := readMATElements(raw[128:], order, path, out, 0, inFile); err != nil {
		return nil, err
	}
	return out, nil
}

// readMATElements reads the data elements of buf: the file's after its header or, at depth 1, the data
// decompressed from a compressed element. at says where an offset in buf is, for messages: a byte of the
// file, or a byte of the decompressed data (which is no byte of the file).
func readMATElements(buf []byte, order binary.ByteOrder, path string, out map[string]*MatArray, depth int,
	at func(off int) string) error {
	for off := 0; off < len(buf); {
		typ, n, data, next, err := matElement(buf, off, order)
		if err != nil {
			return fmt.Errorf("%s: element at %s: %w", path, at(off), err)
		}
		switch typ {
		case miCOMPRESSED:
			if depth > 0 {
				return fmt.Errorf("%s: nested compressed element at %s", path, at(off))
			}
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("%s: compressed element at %s: %w", path, at(off), err)
			}
			inner, err := io.ReadAll(zr)
			if err != nil {
				return fmt.Errorf("%s: compressed element at %s is corrupt or truncated: %w", path, at(off), err)
			}
			outer := at(off)
			inside := func(o int) string {
				return fmt.Sprintf("byte %d of the data decompressed from the element at %s", o, outer)
			}
			if err := readMATElements(inner, order, path, out, depth+1, inside); err != nil {
				return err
			}
			next = off + 8 + n // compressed elements are not padded
		case miMATRIX:
			a, err := matMatrix(data, order)
			if err != nil {
				return fmt.Errorf("%s: array at %s: %w", path, at(off), err)
			}
			if a != nil {
				out[a.Name] = a
			}
		}
		off = next
	}
	return nil
}

// matElement decodes the tag at off: type, byte count, payload and where the next element starts
// (payloads are padded to 8 bytes; small elements pack a payload of up to 4 bytes into the tag).
func matElement(buf []byte, off int, order binary.ByteOrder) (typ uint32, n int, data []byte, next int, err error) {
	if off+8 > len(buf) {
		return 0, 0, nil, 0, fmt.Errorf("truncated tag (%d bytes left)", len(buf)-off)
	}
	w := order.Uint32(buf[off:])
	if w>>16 != 0 { // small data element
		typ, n = w&0xffff, int(w>>16)
		if n > 4 {
			return 0, 0, nil, 0, fmt.Errorf("small element of %d bytes (at most 4)", n)
		}
		return typ, n, buf[off+4 : off+4+n], off + 8, nil
	}
	typ, n = w, int(order.Uint32(buf[off+4:]))
	if n < 0 || off+8+n > len(buf) {
		return 0, 0, nil, 0, fmt.Errorf("element of type %d says %d bytes, %d are left: truncated", typ, n, len(buf)-off-8)
	}
	next = off + 8 + (n+7)/8*8
	if next > len(buf) {
		next = len(buf)
	}
	return typ, n, buf[off+8 : off+8+n], next, nil
}

// matMatrix decodes a numeric real miMATRIX payload (nil for the classes it does not read: cells,
// structs, sparse, complex).
func matMatrix(buf []byte, order binary.ByteOrder) (*MatArray, error) {
	type part struct {
		typ  uint32
		data []byte
	}
	var parts []part
	for off := 0; off < len(buf); {
		typ, _, data, next, err := matElement(buf, off, order)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{typ, data})
		off = next
	}
	if len(parts) < 3 {
		return nil, fmt.Errorf("array with %d sub-elements (expected flags, dimensions, name, data)", len(parts))
	}
	flags := parts[0].data
	if len(flags) < 4 {
		return nil, fmt.Errorf("array flags of %d bytes", len(flags))
	}
	f := order.Uint32(flags)
	class, complexFlag := f&0xff, f&0x800 != 0
	if class < 6 || class > 15 || complexFlag || len(parts) < 4 { // 6..15: double .. uint64
		return nil, nil
	}
	dimsRaw := parts[1].data
	a := &MatArray{order: order}
	count := 1
	for i := 0; i+4 <= len(dimsRaw); i += 4 {
		d := int(int32(order.Uint32(dimsRaw[i:])))
		if d < 0 || (d > 0 && count > (1<<40)/d) { // 2^40 values: more than a MAT-file holds
			return nil, fmt.Errorf("array dimension %d after %v: negative or too large, corrupt", d, a.Dims)
		}
		count *= d
		a.Dims = append(a.Dims, d)
	}
	a.Name = string(parts[2].data)
	a.Type, a.Data = parts[3].typ, parts[3].data
	if sz := miSize(a.Type); sz == 0 || len(a.Data) != a.Len()*sz {
		return nil, fmt.Errorf("array %q: %d data bytes of type %d for dimensions %v: truncated or corrupt", a.Name, len(a.Data), a.Type, a.Dims)
	}
	return a, nil
}

// ReadSVHN reads dir's train_32x32.mat and test_32x32.mat.
func ReadSVHN(dir string) (*ImageSplits, error) {
	out := &ImageSplits{}
	for _, split := range []string{"train", "test"} {
		set, err := ReadSVHNFile(filepath.Join(dir, SVHNFiles[split]))
		if err != nil {
			return nil, err
		}
		if split == "train" {
			out.Train = set
		} else {
			out.Test = set
		}
	}
	return out, nil
}

// ReadSVHNFile reads one SVHN cropped-digits MAT-file: X [H, W, 3, N] uint8 and y [N, 1] in 1..10
// (10 is the digit 0, stored here as label 0).
func ReadSVHNFile(path string) (*Images, error) {
	arrs, err := ReadMAT(path)
	if err != nil {
		return nil, err
	}
	x, y := arrs["X"], arrs["y"]
	if x == nil || y == nil {
		return nil, fmt.Errorf("%s: expected numeric arrays X and y (SVHN cropped digits), found %v", path, matNames(arrs))
	}
	if len(x.Dims) != 4 || x.Dims[2] != 3 || x.Type != miUINT8 {
		return nil, fmt.Errorf("%s: X has dimensions %v and type %d, expected H x W x 3 x N of uint8", path, x.Dims, x.Type)
	}
	H, W, n := x.Dims[0], x.Dims[1], x.Dims[3]
	if y.Len() != n {
		return nil, fmt.Errorf("%s: y has %d labels for %d images", path, y.Len(), n)
	}
	set := &Images{Name: path, H: H, W: W, C: 3, Pix: make([]uint8, n*H*W*3), Labels: make([]int, n)}
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			for col := 0; col < W; col++ {
				for row := 0; row < H; row++ {
					set.Pix[((i*H+row)*W+col)*3+c] = x.Data[((i*3+c)*W+col)*H+row]
				}
			}
		}
		l := y.Float(i)
		if l != math.Trunc(l) || l < 0 || l > 10 {
			return nil, fmt.Errorf("%s: label %v of image %d, expected 1..10", path, l, i)
		}
		set.Labels[i] = int(l) % 10
	}
	return set, nil
}

func matNames(a map[string]*MatArray) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	return out
}
