package plot

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm plot`.
type Options struct {
	RunDir    string
	Out       string // directory for the PNGs (default RUN_DIR/plots)
	Sentences int    // validation sentences in the latent projection
	Posterior clix.PosteriorFlags
	Backend   string

	Families *run.Registry // nil: families.Standard()

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot RUN_DIR",
		Short: "Draw PNG pictures of a run: training curves and a projection of posterior means",
		Long: `Read RUN_DIR/log.jsonl and the run's latest checkpoint and write, into RUN_DIR/plots (or --out):
  losses.png    generator loss per token and prior loss against the iteration
  energies.png  f_alpha on posterior and on prior samples against the iteration
  valid.png     validation NLL against the iteration (when the run used --eval-every)
  collapse.png  MI and noise-corrected active units against their floors, and NLL minus the
                reconstruction term, from the --eval-every diagnoses
  displacement.png  how far the posterior chains move from their start, against the iteration
  latent.png    the first two principal components of the posterior means of validation sentences,
                coloured by topic on the embedded corpus

For an image run: losses.png (reconstruction MSE and prior loss), energies.png, and latent.png from the
posterior means of the first --sentences test images, coloured by class.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunDir = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "", "directory for the pictures (default: RUN_DIR/plots)")
	f.IntVar(&opts.Sentences, "sentences", 300, "validation sentences in latent.png")
	clix.AddPosteriorFlags(f, &opts.Posterior)
	clix.AddBackendFlag(f, &opts.Backend)
	return cmd
}

// Run draws the pictures the run's family gives (run.Plotter).
func Run(opts *Options) error {
	if opts.Sentences < 1 {
		return fmt.Errorf("--sentences must be at least 1, got %d", opts.Sentences)
	}
	if err := opts.Posterior.Check(); err != nil {
		return err
	}
	out := opts.Out
	if out == "" {
		out = filepath.Join(opts.RunDir, "plots")
		if err := ckpt.Inside(out); err != nil { // the run's own plots directory, not where a link leads
			return err
		}
	}
	opened, err := clix.OpenRun(opts.Families, opts.Backend, opts.RunDir)
	if err != nil {
		return err
	}
	p, err := run.Need[run.Plotter](opened, "be plotted")
	if err != nil {
		return err
	}
	pics, err := p.Plot(run.PlotRequest{LogPath: filepath.Join(opts.RunDir, run.LogFile), Items: opts.Sentences,
		Post: opts.Posterior.Resolve(opened.Model.Hyperparameters()), UI: run.UI{Stderr: opts.Stderr}})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d := &drawer{dir: out}
	for _, c := range pics.Curves {
		if err := d.draw(c.File, func(p string) error { return plots.Curves(p, c.Title, c.XLabel, c.YLabel, c.Series) }); err != nil {
			return err
		}
	}
	l := pics.Latent
	if l == nil {
		d.print(opts.Stdout)
		return nil
	}
	if err := d.draw("latent.png", func(p string) error { return plots.Projection(p, l.Title, l.X, l.Labels, l.Names) }); err != nil {
		return err
	}
	d.print(opts.Stdout)
	return printSeparation(opts.Stdout, l.X, l.Labels, len(l.Names), l.Class, l.Items)
}

// printSeparation says how far apart latent.png's classes are in the picture's plane: the accuracy of a
// nearest-centroid classifier on the plotted points (their own class centroids in the plane of the
// first two principal components) against chance (the most frequent class). Nothing without labels.
func printSeparation(w io.Writer, x [][]float64, labels []int, k int, class, items string) error {
	if labels == nil {
		return nil
	}
	pts, _, err := plots.PrincipalPlane(x)
	if err != nil {
		return err
	}
	flat := make([]float32, 0, 2*len(pts))
	for _, p := range pts {
		flat = append(flat, float32(p[0]), float32(p[1]))
	}
	acc, err := learn.CentroidAccuracy(flat, labels, flat, labels, 2, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "latent.png: %ss in the picture's plane: nearest-centroid accuracy %.3f on the %d plotted %s (their own centroids), chance %.3f (most frequent %s)\n",
		class, acc, len(pts), items, learn.MajorityShare(labels, k), class)
	return nil
}

// drawer writes pictures into a folder and remembers their paths.
type drawer struct {
	dir     string
	written []string
}

// draw writes picture name with f (given its path); an error names the file.
func (d *drawer) draw(name string, f func(path string) error) error {
	p := filepath.Join(d.dir, name)
	if err := f(p); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	d.written = append(d.written, p)
	return nil
}

// print lists the pictures written.
func (d *drawer) print(w io.Writer) {
	for _, p := range d.written {
		fmt.Fprintln(w, p)
	}
}
