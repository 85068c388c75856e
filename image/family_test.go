package image

import (
	"testing"

	"github.com/lebm/lebm/corpora"
	"github.com/spf13/pflag"
)

// TestReaderOf: a fresh run reads its data with --format when given, the embedded shapes without data,
// the preset's own reader for mnist, cifar10 and svhn, and a folder of images for the other presets.
func TestReaderOf(t *testing.T) {
	for _, c := range []struct{ format, data, preset, want string }{
		{"", "", "embedded", corpora.FormatEmbedded},
		{"", "/x", "cifar10", corpora.FormatCIFAR10},
		{"", "/x", "mnist", corpora.FormatMNIST},
		{"", "/x", "svhn", corpora.FormatSVHN},
		{"", "/x", "celeba", corpora.FormatFolder},
		{"", "/x", "embedded", corpora.FormatFolder},
		{"folder", "/x", "cifar10", corpora.FormatFolder},
	} {
		fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
		tf := Registration{}.TrainFlags(fs).(*trainFlags)
		if c.format != "" {
			if err := fs.Set("format", c.format); err != nil {
				t.Fatal(err)
			}
		}
		if got := tf.readerOf(c.data, c.preset); got != c.want {
			t.Errorf("--format %q, data %q, preset %s: reader %q, want %q", c.format, c.data, c.preset, got, c.want)
		}
	}
}
