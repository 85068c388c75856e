package corpora

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders registered for image.Decode
	_ "image/png"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/image/draw"
)

// FolderTestEvery: without train/ and test/ subfolders, every FolderTestEvery-th image (in name order)
// is a test image.
const FolderTestEvery = 10

// ReadFolder reads a folder of PNG/JPEG images (e.g. CelebA's img_align_celeba): each image is cropped to
// its centred square, resized to size x size (Catmull-Rom) and converted to channels (1: gray, 3: RGB).
// With train/ and test/ subfolders those are the splits; otherwise every FolderTestEvery-th file is a
// test image. Files that are not .png/.jpg/.jpeg are ignored; one that does not decode is an error naming
// it. Images are decoded on all cores; progress (may be nil) is told the images done and the total.
func ReadFolder(dir string, size, channels int, progress func(done, total int)) (*ImageSplits, error) {
	var trainDir, testDir string
	var trainFiles, testFiles []string
	note := ""
	if fileExists(filepath.Join(dir, "train")) && fileExists(filepath.Join(dir, "test")) {
		trainDir, testDir = filepath.Join(dir, "train"), filepath.Join(dir, "test")
		var err error
		if trainFiles, err = imageFiles(trainDir); err != nil {
			return nil, err
		}
		if testFiles, err = imageFiles(testDir); err != nil {
			return nil, err
		}
	} else {
		files, err := imageFiles(dir)
		if err != nil {
			return nil, err
		}
		trainDir, testDir = dir, dir
		for i, f := range files {
			if i%FolderTestEvery == FolderTestEvery-1 {
				testFiles = append(testFiles, f)
			} else {
				trainFiles = append(trainFiles, f)
			}
		}
		note = fmt.Sprintf("%s has no train/ and test/ folders: every %dth image (%d) is a test image", dir, FolderTestEvery, len(testFiles))
	}
	total := len(trainFiles) + len(testFiles)
	train, err := readImageFiles(trainDir, trainFiles, size, channels, func(done int) {
		if progress != nil {
			progress(done, total)
		}
	})
	if err != nil {
		return nil, err
	}
	test, err := readImageFiles(testDir, testFiles, size, channels, func(done int) {
		if progress != nil {
			progress(len(trainFiles)+done, total)
		}
	})
	if err != nil {
		return nil, err
	}
	return &ImageSplits{Train: train, Test: test, Note: note}, nil
}

// imageFiles lists dir's .png, .jpg and .jpeg files, sorted.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .png, .jpg or .jpeg images", dir)
	}
	return out, nil
}

// readImageFiles decodes files (in dir) into a set, in order, on all cores; done is called (from one
// goroutine at a time) with the number of images decoded so far.
func readImageFiles(dir string, files []string, size, channels int, done func(int)) (*Images, error) {
	px := size * size * channels
	set := &Images{Name: dir, H: size, W: size, C: channels, Pix: make([]uint8, len(files)*px), Labels: make([]int, len(files))}
	var (
		mu       sync.Mutex
		finished int
		firstErr error
		errAt    = len(files)
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := image.NewRGBA(image.Rect(0, 0, size, size))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				err := decodeInto(filepath.Join(dir, files[i]), dst, set.Pix[i*px:(i+1)*px], channels)
				mu.Lock()
				if err != nil && i < errAt { // report the first bad file in name order
					firstErr, errAt = err, i
				}
				finished++
				if done != nil && (finished%256 == 0 || finished == len(files)) {
					done(finished)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for i := range set.Labels {
		set.Labels[i] = -1
	}
	return set, nil
}

// decodeInto decodes the image at path, crops its centred square, resizes it into dst and writes its
// pixels (gray or RGB) into out.
func decodeInto(path string, dst *image.RGBA, out []uint8, channels int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	img, format, err := image.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: not a decodable PNG or JPEG image: %w", path, err)
	}
	if ext := strings.ToLower(filepath.Ext(path)); (format == "png") != (ext == ".png") {
		return fmt.Errorf("%s: the file is a %s image but is named %s", path, format, ext)
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	if side < 1 {
		return fmt.Errorf("%s: empty image", path)
	}
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	n := dst.Bounds().Dx() * dst.Bounds().Dy()
	for p := 0; p < n; p++ {
		r, g, bl := dst.Pix[4*p], dst.Pix[4*p+1], dst.Pix[4*p+2]
		if channels == 1 {
			out[p] = color.GrayModel.Convert(color.RGBA{r, g, bl, 255}).(color.Gray).Y
		} else {
			out[3*p], out[3*p+1], out[3*p+2] = r, g, bl
		}
	}
	return nil
}
