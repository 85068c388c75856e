package image

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/run"
)

// ResolveData is the run information with the data at override (when set) read in the run's format: an
// override of the embedded shapes is a folder of images.
func ResolveData(info RunInfo, override string) RunInfo {
	if override != "" {
		info.Data = override
		if info.Format == corpora.FormatEmbedded {
			info.Format = corpora.FormatFolder
		}
	}
	return info
}

// LoadSplits reads the data of an image run (or, with override, the data at that path in the run's
// format: ResolveData), leaving the held-out class out of the training split; progress follows the
// decoding of a folder of images.
func LoadSplits(info RunInfo, override string, progress func(done, total int)) (*corpora.ImageSplits, error) {
	info = ResolveData(info, override)
	c := info.Config
	data, err := corpora.LoadImages(info.Format, info.Data, c.Height, c.Channels, progress)
	if err != nil {
		return nil, err
	}
	if c.HoldOut >= 0 {
		if err := checkClass(data.Train, c.HoldOut); err != nil {
			return nil, err
		}
		data = &corpora.ImageSplits{Train: data.Train.Without(c.HoldOut), Test: data.Test, Note: data.Note}
	}
	return data, nil
}

// checkClass refuses a held-out class that no training image has (it would hold nothing out, and only
// the anomaly scores would fail, later), naming the classes there are.
func checkClass(train *corpora.Images, class int) error {
	seen := map[int]bool{}
	for _, l := range train.Labels {
		seen[l] = true
	}
	if seen[class] {
		return nil
	}
	classes := slices.Sorted(maps.Keys(seen))
	if len(classes) == 0 || len(classes) == 1 && classes[0] < 0 {
		return fmt.Errorf("--hold-out %d: %s has no class labels (use --hold-out -1)", class, train.Name)
	}
	return fmt.Errorf("--hold-out %d: no training image of %s has class %d (its classes: %v)", class, train.Name, class, classes)
}

// WriteGrid writes n images (flat, in [-1, 1]) of configuration c as a PNG grid of cols columns,
// atomically.
func WriteGrid(path string, imgs []float32, n, cols int, c Config) error {
	png, err := GridPNG(imgs, n, c.Height, c.Width, c.Channels, cols)
	if err != nil {
		return err
	}
	return ckpt.WriteAtomic(path, png)
}

// LoadSplitsUI is LoadSplits with a progress bar while a folder of images decodes.
func LoadSplitsUI(info RunInfo, override string, ui run.UI) (*corpora.ImageSplits, error) {
	show := ui
	if ResolveData(info, override).Format != corpora.FormatFolder {
		show.Bars = nil
	}
	bar := show.Bar(1, "reading images", "images")
	defer bar.Finish()
	return LoadSplits(info, override, bar.Progress)
}
