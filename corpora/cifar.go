package corpora

import (
	"fmt"
	"os"
	"path/filepath"
)

// CIFAR-10 binary version (https://www.cs.toronto.edu/~kriz/cifar.html): data_batch_1.bin ..
// data_batch_5.bin and test_batch.bin, each a sequence of 3073-byte records: a label byte 0-9, then the
// 32x32 red plane, green plane and blue plane, row-major.
const (
	cifarSide   = 32
	cifarRecord = 1 + 3*cifarSide*cifarSide
)

// CIFARTrainFiles and CIFARTestFile are the binary batch names; ReadCIFAR10 also looks for them under
// cifar-10-batches-bin/ (the archive's folder).
var (
	CIFARTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFARTestFile   = "test_batch.bin"
)

// ReadCIFAR10 reads the training batches and the test batch of dir.
func ReadCIFAR10(dir string) (*ImageSplits, error) {
	if _, err := os.Stat(filepath.Join(dir, CIFARTestFile)); err != nil {
		if sub := filepath.Join(dir, "cifar-10-batches-bin"); fileExists(filepath.Join(sub, CIFARTestFile)) {
			dir = sub
		}
	}
	train := &Images{Name: filepath.Join(dir, "data_batch_*.bin"), H: cifarSide, W: cifarSide, C: 3}
	for _, f := range CIFARTrainFiles {
		if err := readCIFARFile(filepath.Join(dir, f), train); err != nil {
			return nil, err
		}
	}
	test := &Images{Name: filepath.Join(dir, CIFARTestFile), H: cifarSide, W: cifarSide, C: 3}
	if err := readCIFARFile(test.Name, test); err != nil {
		return nil, err
	}
	return &ImageSplits{Train: train, Test: test}, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readCIFARFile appends the records of one binary batch to set, converting planes to channels-last.
func readCIFARFile(path string, set *Images) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory, expected a CIFAR-10 binary batch (the binary version: data_batch_1..5.bin, test_batch.bin)", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (expected the CIFAR-10 binary version: data_batch_1..5.bin, test_batch.bin)", err)
	}
	if len(raw) == 0 || len(raw)%cifarRecord != 0 {
		return fmt.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR-10 records (label + 3x32x32): truncated or not the binary version",
			path, len(raw), cifarRecord)
	}
	const plane = cifarSide * cifarSide
	for r := 0; r < len(raw)/cifarRecord; r++ {
		rec := raw[r*cifarRecord : (r+1)*cifarRecord]
		if rec[0] > 9 {
			return fmt.Errorf("%s: record %d has label %d, expected 0-9 (corrupt, or not CIFAR-10: CIFAR-100 records have two label bytes)", path, r, rec[0])
		}
		set.Labels = append(set.Labels, int(rec[0]))
		px := rec[1:]
		for i := 0; i < plane; i++ {
			set.Pix = append(set.Pix, px[i], px[plane+i], px[2*plane+i])
		}
	}
	return nil
}
