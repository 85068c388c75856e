package plot

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
)

// runImage draws an image run: losses.png (reconstruction MSE and prior loss), energies.png, and
// latent.png (posterior means of test images, coloured by class when the data has classes).
func runImage(opts *Options, run *run.Run, out string) error {
	recs, err := clix.ReadJSONLines[image.IterStats](filepath.Join(opts.RunDir, train.LogFile))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var mse, prior, fPost, fPrior plots.Series
	mse.Name, prior.Name, fPost.Name, fPrior.Name = "reconstruction MSE per pixel ([-1, 1])", "prior loss", "f on posterior samples", "f on prior samples"
	for _, r := range recs {
		pushTraining(float64(r.Step), r.MSE, r.PriorLoss, r.FPost, r.FPrior, &mse, &prior, &fPost, &fPrior)
	}
	pics := &drawer{dir: out}
	if err := pics.training(mse, prior, fPost, fPrior, "MSE / nats"); err != nil {
		return err
	}
	m, info := run.Image, run.ImageInfo
	data, err := clix.LoadImageSplits(info, "", opts.Stderr, false)
	if err != nil {
		return err
	}
	n := min(opts.Sentences, data.Test.N())
	ec := opts.Posterior.ImageEvalConfig(m.Config)
	z, err := m.PosteriorMeans(data.Test.FloatRange(0, n), n, ec, ec.Rand())
	if err != nil {
		return err
	}
	x := learn.Rows(z, n, m.Config.ZDim)
	var labels []int
	var names []string
	if data.Test.Labels[0] >= 0 {
		labels = data.Test.Labels[:n]
		names = corpora.ShapeNames
		if info.Format != corpora.FormatEmbedded {
			names = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
		}
	}
	if err := pics.draw("latent.png", func(p string) error {
		return plots.Projection(p, fmt.Sprintf("posterior means of %d test images (PCA)", n), x, labels, names)
	}); err != nil {
		return err
	}
	pics.print(opts.Stdout)
	return printSeparation(opts.Stdout, x, labels, len(names), "class", "images")
}
