// Package plot is `lebm plot`: PNG pictures of a run (training curves, validation NLL, posterior means).
package plot

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm plot`.
type Options struct {
	RunDir    string
	Out       string // directory for the PNGs (default RUN_DIR/plots)
	Sentences int    // validation sentences in the latent projection
	Posterior clix.PosteriorFlags
	Backend   string

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

// record is the union of the log's record kinds (iteration statistics and collapse diagnoses, see
// text.Diagnosis; diagnoses of older runs hold only the NLL and MI).
type record struct {
	text.IterStats
	ValidNLL *float64 `json:"valid_nll"`
	ValidMI  *float64 `json:"valid_mi"`
	MIFloor  *float64 `json:"valid_mi_floor"`
	Gap      *float64 `json:"valid_gap"`
	AU       *int     `json:"valid_au_corrected"`
	AUFloor  *int     `json:"valid_au_corrected_floor"`
}

// Run draws the pictures.
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
	}
	run, err := clix.OpenRun(opts.Backend, opts.RunDir)
	if err != nil {
		return err
	}
	if run.Image != nil {
		return runImage(opts, run, out)
	}
	recs, err := clix.ReadJSONLines[record](filepath.Join(opts.RunDir, train.LogFile))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	pics := &drawer{dir: out}
	if err := drawLog(pics, newLogSeries(recs), opts.Stderr); err != nil {
		return err
	}
	x, labels, names, err := latent(run, opts)
	if err != nil {
		return err
	}
	if err := pics.draw("latent.png", func(p string) error {
		return plots.Projection(p, fmt.Sprintf("posterior means of %d validation sentences (PCA)", len(x)), x, labels, names)
	}); err != nil {
		return err
	}
	pics.print(opts.Stdout)
	return printSeparation(opts.Stdout, x, labels, len(names), "topic", "sentences")
}

// logSeries are the curves of a text run's log: the training records and the validation records of
// --eval-every.
type logSeries struct {
	gen, prior, fPost, fPrior, disp      plots.Series // training records
	valid, mi, miFloor, gap, au, auFloor plots.Series // validation records
}

func newLogSeries(recs []record) *logSeries {
	var s logSeries
	s.gen.Name, s.prior.Name, s.fPost.Name, s.fPrior.Name, s.valid.Name = "generator loss per token", "prior loss", "f on posterior samples", "f on prior samples", "validation NLL"
	s.mi.Name, s.miFloor.Name, s.gap.Name = "MI (nats)", "MI floor (copies of one sentence)", "NLL - reconstruction = KL(p(z|x) || p(z))"
	s.au.Name, s.auFloor.Name, s.disp.Name = "active units (noise-corrected)", "active units, floor", "posterior chain displacement |z_K - z_0|"
	add := func(ser *plots.Series, x float64, v *float64) {
		if v != nil {
			ser.X, ser.Y = append(ser.X, x), append(ser.Y, *v)
		}
	}
	addInt := func(ser *plots.Series, x float64, v *int) {
		if v != nil {
			f := float64(*v)
			add(ser, x, &f)
		}
	}
	for _, r := range recs {
		x := float64(r.Step)
		if r.ValidNLL != nil {
			s.valid.X, s.valid.Y = append(s.valid.X, x), append(s.valid.Y, *r.ValidNLL)
			add(&s.mi, x, r.ValidMI)
			add(&s.miFloor, x, r.MIFloor)
			add(&s.gap, x, r.Gap)
			addInt(&s.au, x, r.AU)
			addInt(&s.auFloor, x, r.AUFloor)
			continue
		}
		s.disp.X, s.disp.Y = append(s.disp.X, x), append(s.disp.Y, r.Displacement)
		pushTraining(x, r.GenLossPerToken, r.PriorLoss, r.FPost, r.FPrior, &s.gen, &s.prior, &s.fPost, &s.fPrior)
	}
	return &s
}

// drawLog draws the log's pictures: training curves, validation NLL and the collapse measures where the
// log has them, the posterior chains' displacement.
func drawLog(pics *drawer, s *logSeries, stderr io.Writer) error {
	if err := pics.training(s.gen, s.prior, s.fPost, s.fPrior, "nats"); err != nil {
		return err
	}
	if len(s.valid.X) > 0 {
		if err := pics.draw("valid.png", func(p string) error {
			return plots.Curves(p, "validation NLL", "iteration", "nats per sentence", []plots.Series{s.valid})
		}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stderr, "no validation NLL in the log (train with --eval-every N): valid.png not drawn")
	}
	if len(s.gap.X) > 0 {
		if err := pics.draw("collapse.png", func(p string) error {
			return plots.Curves(p, "information in z (validation): against the floors of a model that ignores z", "iteration", "nats / units",
				[]plots.Series{s.mi, s.miFloor, s.gap, s.au, s.auFloor})
		}); err != nil {
			return err
		}
	}
	return pics.draw("displacement.png", func(p string) error {
		return plots.Curves(p, "posterior chains: mean distance travelled", "iteration", "|z_K - z_0|", []plots.Series{s.disp})
	})
}

// latent is the posterior means of the first --sentences validation sentences, as rows, with their topic
// labels and the topics' names where the corpus has them.
func latent(run *run.Run, opts *Options) (x [][]float64, labels []int, names []string, err error) {
	m, info := run.Text, run.TextInfo
	corpus, err := text.LoadCorpus(info.Data)
	if err != nil {
		return nil, nil, nil, err
	}
	sents := corpus.Valid
	if len(sents) > opts.Sentences {
		sents = sents[:opts.Sentences]
	}
	ds, err := corpora.NewDataset(sents, m.Vocab, m.Config.MaxLen)
	if err != nil {
		return nil, nil, nil, err
	}
	mu, err := m.PosteriorMeans(ds, opts.Posterior.EvalConfig(m.Config))
	if err != nil {
		return nil, nil, nil, err
	}
	x = learn.Rows(mu, len(sents), m.Config.ZDim)
	if l, ok := corpus.Labels["valid"]; ok {
		labels, names = l[:len(sents)], corpora.Topics
	}
	return x, labels, names, nil
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
	acc, err := text.CentroidAccuracy(flat, labels, flat, labels, 2, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "latent.png: %ss in the picture's plane: nearest-centroid accuracy %.3f on the %d plotted %s (their own centroids), chance %.3f (most frequent %s)\n",
		class, acc, len(pts), items, text.MajorityShare(labels, k), class)
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

// training draws the curves every run has: losses.png (the generator's loss and the prior's) and
// energies.png (f_alpha on posterior and on prior samples).
func (d *drawer) training(gen, prior, fPost, fPrior plots.Series, lossUnit string) error {
	if err := d.draw("losses.png", func(p string) error {
		return plots.Curves(p, "training losses", "iteration", lossUnit, []plots.Series{gen, prior})
	}); err != nil {
		return err
	}
	return d.draw("energies.png", func(p string) error {
		return plots.Curves(p, "f_alpha on posterior and prior samples", "iteration", "f", []plots.Series{fPost, fPrior})
	})
}

// pushTraining appends one log record's point at iteration x to the four training series.
func pushTraining(x, gen, prior, fPost, fPrior float64, series ...*plots.Series) {
	for i, y := range []float64{gen, prior, fPost, fPrior} {
		series[i].X, series[i].Y = append(series[i].X, x), append(series[i].Y, y)
	}
}
