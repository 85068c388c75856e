// Package evalcmd is `lebm eval`: NLL, PPL, MI and AU of a checkpoint on a split, each with its
// estimator settings (DESIGN.md).
package evalcmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/text"
	"github.com/spf13/cobra"
)

// Options are the flags of `lebm eval`.
type Options struct {
	Checkpoint string
	Split      string
	Data       string // corpus directory; default: the one the model was trained on
	Backend    string
	JSON       bool

	Eval                text.EvalConfig // estimator settings; its K1 and S1 come from the two below (see Resolve)
	clix.PosteriorChain                 // the evaluation chains' --k1 and --s1 (not given: the model's)

	Generation  bool                  // also compute the generation metrics
	Gen         text.GenerationConfig // their settings (K0, s0, LM iterations default to the model's)
	LM          string                // checkpoint of an LSTM LM of the real training data (forward PPL)
	Quiet       bool
	SentenceNLL string // file for -log p(x) of each evaluated sentence, one per line (paired comparisons)
	Image       ImageOptions

	Stdout, Stderr io.Writer
}

// NewCmd returns the cobra command; run is called with the parsed options.
func NewCmd(opts *Options, run func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT",
		Short: "Evaluate a model: text NLL, PPL, MI, AU; image reconstruction MSE and FID; with their estimator settings",
		Long: `Evaluate a checkpoint (a run directory or one of its step-N directories) on a split of the corpus it
was trained on. The checkpoint holds the hyperparameters and the vocabulary: no architecture flags.

NLL is importance-sampled from a diagonal Gaussian q(z|x) fitted to P posterior Langevin chains per
sentence; log Z of the EBM prior is estimated from samples of N(0, I). MI uses the mixture estimator;
AU is reported raw and corrected for the Monte Carlo noise of the chain means, and both are also
reported on copies of a single sentence (their floor: values a model that ignores x would get).

For an image model: reconstruction MSE of the split from the posterior mean of --chains chains (against
the training set's mean image), and FID with --inception (model samples against the split's images).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Checkpoint = args[0]
			clix.Streams(cmd, &opts.Stdout, &opts.Stderr)
			return run(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Split, "split", "test", "split to evaluate: valid or test (or train)")
	f.StringVar(&opts.Data, "data", "", "corpus directory (default: the one recorded in the checkpoint)")
	clix.AddBackendFlag(f, &opts.Backend)
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.Quiet, "quiet", false, "no progress bar")
	f.StringVar(&opts.SentenceNLL, "sentence-nll", "", "write -log p(x) of each evaluated sentence to this file, one per line (for paired comparisons of two models)")
	f.IntVar(&opts.Eval.Chains, "chains", text.DefaultEvalChains, "P: posterior chains per sentence")
	clix.AddChainFlags(f, &opts.PosteriorChain, "steps", "step-size")
	f.IntVar(&opts.Eval.ImportanceSamples, "samples", text.DefaultEvalSamples, "S: importance samples of q(z|x) per sentence")
	f.IntVar(&opts.Eval.LogZSamples, "logz-samples", text.DefaultLogZSamples, "M_Z: samples of N(0, I) for log Z")
	f.Float64Var(&opts.Eval.SigmaFloor, "sigma-floor", text.DefaultSigmaFloor, "lower bound on the standard deviations of q(z|x)")
	f.IntVar(&opts.Eval.FloorSentences, "floor-sentences", text.DefaultFloorSentences, "copies of one sentence for the MI/AU floor (0 = as many as evaluated sentences)")
	f.IntVar(&opts.Eval.MaxSentences, "max-sentences", 0, "evaluate only the first N sentences (0 = all)")
	f.IntVar(&opts.Eval.MaxLen, "max-len", corpora.Whole, "cut evaluated sentences to this many tokens with <bos> and <eos> (0 = score whole sentences; the report counts those cut)")
	f.IntVar(&opts.Eval.RowsPerCall, "rows", text.DefaultRowsPerCall, "chain rows per graph call")
	f.Uint64Var(&opts.Eval.Seed, "seed", 1, "random seed of the estimators")
	f.BoolVar(&opts.Generation, "generation", false, "also compute generation metrics: reverse and forward PPL, BLEU-4, word KL")
	f.IntVar(&opts.Gen.Samples, "gen-samples", 1000, "generation: number of sampled sentences")
	f.Float64Var(&opts.Gen.Temperature, "gen-temperature", 1, "generation: sampling temperature")
	f.IntVar(&opts.Gen.LMIterations, "lm-iterations", 0, "generation: iterations of the language models trained for the PPLs (default: the model's)")
	f.StringVar(&opts.LM, "lm", "", "generation: LSTM LM checkpoint of the real data for forward PPL (default: train one)")
	addImageFlags(f, &opts.Image)
	return cmd
}

// Resolve fills the settings that default to the model's.
func (o *Options) Resolve(cfg text.Config) text.EvalConfig {
	ec := o.Eval
	ec.K1, ec.S1 = cfg.K1, cfg.S1
	o.Apply(&ec.Estimator)
	return ec
}

// TextEval is what `lebm eval --json` prints for a text model.
type TextEval struct {
	Checkpoint string `json:"checkpoint"`
	*text.EvalResult
	Generation *text.GenerationResult `json:"generation,omitempty"`
	Topics     *text.TopicResult      `json:"topics,omitempty"` // on a corpus with topic labels (the embedded one)
}

// Run evaluates as the options say.
func Run(opts *Options) error {
	if err := opts.PosteriorChain.Check(); err != nil {
		return err
	}
	run, err := clix.OpenRun(opts.Backend, opts.Checkpoint)
	if err != nil {
		return err
	}
	if run.Image != nil {
		return runImage(opts, run)
	}
	m, info, dir := run.Text, run.TextInfo, run.Dir
	ec := opts.Resolve(m.Config)
	if err := ec.Validate(); err != nil {
		return err
	}
	corpus, ds, err := text.LoadSplit(info.Data, opts.Data, m.Vocab, ec.MaxLen, opts.Split)
	if err != nil {
		return err
	}
	if ds.UnknownShare() == 1 {
		fmt.Fprintf(opts.Stderr, "warning: every word of the %s split is <unk> for this model's vocabulary: is it the corpus the model was trained on (--data)?\n", opts.Split)
	}
	if !opts.Quiet {
		fmt.Fprintf(opts.Stderr, "%s\ncheckpoint: %s\n", m, dir)
	}
	bar := clix.NewBar(opts.Stderr, 1, "eval "+opts.Split, "chains", opts.Quiet)
	res, err := m.Evaluate(ds, opts.Split, ec, bar.Progress)
	bar.Finish()
	if err != nil {
		return err
	}
	if opts.SentenceNLL != "" {
		var b strings.Builder
		for _, v := range res.SentenceNLL {
			fmt.Fprintf(&b, "%.6f\n", v)
		}
		if err := ckpt.WriteAtomic(opts.SentenceNLL, []byte(b.String())); err != nil {
			return err
		}
	}
	var gen *text.GenerationResult
	if opts.Generation {
		if gen, err = generation(opts, m, corpus, ds); err != nil {
			return err
		}
	}
	topics, err := m.CorpusTopics(corpus, opts.Split, ec, text.DefaultTopicConfig())
	if err != nil {
		return err
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, TextEval{dir, res, gen, topics})
	}
	fmt.Fprintf(opts.Stdout, "checkpoint: %s\n%s", dir, res.Format())
	if gen != nil {
		fmt.Fprint(opts.Stdout, gen.Format())
	}
	if topics != nil {
		fmt.Fprint(opts.Stdout, topics.Format())
	}
	fmt.Fprintln(opts.Stdout, res.Verdict)
	return nil
}

func generation(opts *Options, m *text.Model, corpus *corpora.Corpus, test *corpora.Dataset) (*text.GenerationResult, error) {
	gc := text.DefaultGenerationConfig(m.Config)
	gc.Samples, gc.Temperature, gc.Seed, gc.Split = opts.Gen.Samples, opts.Gen.Temperature, opts.Eval.Seed, opts.Split
	if opts.Gen.LMIterations > 0 {
		gc.LMIterations = opts.Gen.LMIterations
	}
	var realLM *text.LM
	if opts.LM != "" {
		var err error
		if realLM, err = text.LoadLM(m.Backend, opts.LM); err != nil {
			return nil, err
		}
	}
	train, err := text.Encode(corpus, m.Vocab, m.Config.MaxLen, "train")
	if err != nil {
		return nil, err
	}
	return m.GenerationMetrics(train, test, realLM, gc, func(lm *text.LM, data *corpora.Dataset, label string) error {
		return clix.TrainLM(lm, data, opts.Stderr, label, opts.Quiet)
	})
}
