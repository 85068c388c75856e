package corpora

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders registered for image.Decode
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/draw"
)

// FolderTestEvery: without train/ and test/ subfolders, every FolderTestEvery-th image (in name order)
// is a test image.
const FolderTestEvery = 10

// ReadFolder reads a folder of PNG/JPEG images (e.g. CelebA's img_align_celeba): each image is cropped to
// its centred square, resized to size x size (Catmull-Rom) and converted to channels (1: gray, 3: RGB).
// With train/ and test/ subfolders those are the splits; otherwise every FolderTestEvery-th file is a
// test image. Files that are not .png/.jpg/.jpeg are ignored; one that does not decode is an error naming it.
func ReadFolder(dir string, size, channels int) (*ImageSplits, error) {
	if fileExists(filepath.Join(dir, "train")) && fileExists(filepath.Join(dir, "test")) {
		train, err := readImageFiles(filepath.Join(dir, "train"), nil, size, channels)
		if err != nil {
			return nil, err
		}
		test, err := readImageFiles(filepath.Join(dir, "test"), nil, size, channels)
		if err != nil {
			return nil, err
		}
		return &ImageSplits{Train: train, Test: test}, nil
	}
	files, err := imageFiles(dir)
	if err != nil {
		return nil, err
	}
	var trainFiles, testFiles []string
	for i, f := range files {
		if i%FolderTestEvery == FolderTestEvery-1 {
			testFiles = append(testFiles, f)
		} else {
			trainFiles = append(trainFiles, f)
		}
	}
	train, err := readImageFiles(dir, trainFiles, size, channels)
	if err != nil {
		return nil, err
	}
	test, err := readImageFiles(dir, testFiles, size, channels)
	if err != nil {
		return nil, err
	}
	return &ImageSplits{Train: train, Test: test,
		Note: fmt.Sprintf("%s has no train/ and test/ folders: every %dth image (%d) is a test image", dir, FolderTestEvery, test.N())}, nil
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

func readImageFiles(dir string, files []string, size, channels int) (*Images, error) {
	if files == nil {
		var err error
		if files, err = imageFiles(dir); err != nil {
			return nil, err
		}
	}
	set := &Images{Name: dir, H: size, W: size, C: channels, Pix: make([]uint8, 0, len(files)*size*size*channels), Labels: make([]int, len(files))}
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, name := range files {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		img, format, err := image.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: not a decodable PNG or JPEG image: %w", path, err)
		}
		if ext := strings.ToLower(filepath.Ext(name)); (format == "png") != (ext == ".png") {
			return nil, fmt.Errorf("%s: the file is a %s image but is named %s", path, format, ext)
		}
		b := img.Bounds()
		side := min(b.Dx(), b.Dy())
		if side < 1 {
			return nil, fmt.Errorf("%s: empty image", path)
		}
		x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
		for p := 0; p < size*size; p++ {
			r, g, bl := dst.Pix[4*p], dst.Pix[4*p+1], dst.Pix[4*p+2]
			if channels == 1 {
				set.Pix = append(set.Pix, color.GrayModel.Convert(color.RGBA{r, g, bl, 255}).(color.Gray).Y)
			} else {
				set.Pix = append(set.Pix, r, g, bl)
			}
		}
		set.Labels[i] = -1
	}
	return set, nil
}
