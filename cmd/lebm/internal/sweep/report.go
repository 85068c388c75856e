package sweep

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/internal/plots"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/text"
)

// write writes the table, the JSON results and the plot into the sweep directory and prints the table
// (or the results as JSON).
func (opts *Options) write(grid []Setting, results []*Result, sel *Selected) error {
	table := Table(results, sel, opts)
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "table.md"), []byte(table)); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(struct {
		Settings []*Result `json:"settings"`
		Selected *Selected `json:"selected,omitempty"`
	}{results, sel}, "", " ")
	if err := ckpt.WriteAtomic(filepath.Join(opts.Out, "results.json"), js); err != nil {
		return err
	}
	if err := drawCurves(filepath.Join(opts.Out, "sweep.png"), grid, opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return clix.PrintJSON(opts.Stdout, json.RawMessage(js))
	}
	fmt.Fprint(opts.Stdout, table)
	fmt.Fprintf(opts.Stdout, "\nwritten: %s, %s, %s, %s\n", filepath.Join(opts.Out, "table.md"), filepath.Join(opts.Out, "results.json"),
		filepath.Join(opts.Out, "sweep.png"), filepath.Join(opts.Out, "sweep-mi.png"))
	return nil
}

func (r *Result) line() string {
	t := r.Summary.Test
	if t == nil {
		return fmt.Sprintf("%d iterations (no evaluation)", r.Summary.Iterations)
	}
	return fmt.Sprintf("validation NLL %.2f PPL %.1f MI %.2f (floor %.2f) AU %d (floor %d), %.2f s/it",
		t.NLL, t.PPL, t.MI, t.MIFloor, t.AUCorrected, t.AUCorrectedFlr, r.Summary.SecondsPerIt)
}

// Table formats the results as Markdown.
func Table(results []*Result, sel *Selected, opts *Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| setting | flags | iterations | s/it | validation NLL (s.e.) | PPL | recon | gap | MI | MI floor | AU (floor) | q_phi MI / AU | latent |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var settings *text.EvalConfig
	unreliable, sentences := false, 0
	for _, r := range results {
		s := r.Summary
		t := s.Test
		if t == nil {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %.3f | – | – | – | – | – | – | – | – | – |\n", r.Setting.Name, r.Setting.Flags, s.Iterations, s.SecondsPerIt)
			continue
		}
		settings = &t.Settings
		mark := ""
		if !t.LogZ.Reliable() {
			mark, unreliable = " †", true
		}
		enc := "–"
		if t.EncoderMI != nil && t.EncoderAU != nil {
			enc = fmt.Sprintf("%.3f / %d", *t.EncoderMI, *t.EncoderAU)
		}
		verdict, _, _ := strings.Cut(strings.TrimPrefix(t.Verdict, "latent: "), " (")
		fmt.Fprintf(&b, "| %s | `%s` | %d | %.3f | %.2f (%.2f)%s | %.1f | %.2f | %.2f | %.3f | %.3f | %d (%d) | %s | %s |\n",
			r.Setting.Name, r.Setting.Flags, s.Iterations, s.SecondsPerIt, t.NLL, t.NLLSE, mark, t.PPL, t.Recon, t.NLL-t.Recon,
			t.MI, t.MIFloor, t.AUCorrected, t.AUCorrectedFlr, enc, verdict)
		sentences = t.Sentences
	}
	if sentences > 0 {
		fmt.Fprintf(&b, "\nEvery setting evaluated on the first %d validation sentences (with `--eval-every`, the same sentences' diagnoses "+
			"also chose each setting's checkpoint: the validation numbers are optimistic).\n", sentences)
	}
	if sel != nil {
		t := sel.Test
		fmt.Fprintf(&b, "\nSelected by validation NLL: **%s** (%.2f), its checkpoint %s evaluated on the test split once (%d sentences): "+
			"NLL %.2f (s.e. %.2f), PPL %.1f, recon %.2f, MI %.3f (floor %.3f), AU %d (floor %d); %s.\n",
			sel.Setting, sel.ValidNLL, sel.Checkpoint, t.Sentences, t.NLL, t.NLLSE, t.PPL, t.Recon, t.MI, t.MIFloor, t.AUCorrected, t.AUCorrectedFlr, t.Verdict)
		if sel.RunnerUp != "" {
			fmt.Fprintf(&b, "The runner-up, %s, is %.2f nats behind on validation (s.e. %.2f)", sel.RunnerUp, sel.Margin, sel.MarginSE)
			if sel.Margin < 2*sel.MarginSE {
				b.WriteString(": within two standard errors, the selection is not conclusive (compare paired per-sentence NLL with `lebm eval --sentence-nll`)")
			}
			b.WriteString(".\n")
		}
	}
	fmt.Fprintf(&b, "\nBase flags: `%s`; budget: %d iterations", opts.Base, opts.Iterations)
	if opts.MaxTime > 0 {
		fmt.Fprintf(&b, " or %v per setting", opts.MaxTime)
	}
	b.WriteString(".\n")
	if settings != nil {
		fmt.Fprintf(&b, "NLL in nats per sentence, importance-sampled (%d samples of a Gaussian fitted to %d posterior chains of %d steps, "+
			"step %g; log Z from %d samples of N(0, I)); recon = E_p(z|x)[-log p(x|z)] by self-normalised importance sampling, "+
			"gap = NLL - recon = KL(p(z|x) || p(z)); AU counts dimensions with "+
			"Var_x(mu_x) - mean_x(sigma_x^2)/P > %g; floors: the same statistics on the chains dealt to the sentences at random; q_phi MI / AU: "+
			"those of the inference network's own q_phi(z|x) (exact, no floor).\n",
			settings.ImportanceSamples, settings.Chains, settings.K1, settings.S1, settings.LogZSamples, text.AUThreshold)
	}
	if unreliable {
		fmt.Fprintf(&b, "† log Z unreliable (effective sample size < %d): p_alpha drifted away from N(0, I), the NLL is not to be trusted.\n", prior.MinLogZESS)
	}
	return b.String()
}

// drawCurves plots validation NLL and MI above its floor from each setting's diagnosis records.
func drawCurves(path string, grid []Setting, out string) error {
	var nll, mi []plots.Series
	for _, s := range grid {
		recs, err := ReadDiagnoses(filepath.Join(out, s.Name, train.LogFile))
		if err != nil {
			return err
		}
		a, c := plots.Series{Name: s.Name}, plots.Series{Name: s.Name}
		for _, d := range recs {
			a.X, a.Y = append(a.X, float64(d.Step)), append(a.Y, d.ValidNLL)
			c.X, c.Y = append(c.X, float64(d.Step)), append(c.Y, d.MI-d.MIFloor)
		}
		if len(a.X) > 0 {
			nll, mi = append(nll, a), append(mi, c)
		}
	}
	if len(nll) == 0 {
		return nil // no --eval-every in the base flags: nothing to draw
	}
	if err := plots.Curves(path, "validation NLL (periodic diagnosis)", "iteration", "nats per sentence", nll); err != nil {
		return err
	}
	return plots.Curves(strings.TrimSuffix(path, ".png")+"-mi.png", "validation MI minus its Monte Carlo floor", "iteration", "nats", mi)
}

// ReadDiagnoses reads the diagnosis records of a run's log (path: its log.jsonl).
func ReadDiagnoses(path string) ([]text.Diagnosis, error) {
	recs, err := clix.ReadJSONLines[text.Diagnosis](path)
	if err != nil {
		return nil, err
	}
	var out []text.Diagnosis
	for _, d := range recs {
		if d.Kind == "diagnosis" {
			out = append(out, d)
		}
	}
	return out, nil
}
