package text

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/corpora"
)

// DiagnoseConfig is the estimator setting of a collapse diagnosis of a model of cfg (cheap: run every N
// iterations): the training posterior chain's length and step size, the first 100 validation sentences
// (MaxSentences), the evaluation's chains per sentence (DefaultEvalChains, so that MI and its floor
// are those `lebm eval` gives), 16 importance samples per sentence, 10k samples for log Z.
func DiagnoseConfig(cfg Config) EvalConfig {
	ec := DefaultEvalConfig(cfg)
	ec.MaxSentences, ec.ImportanceSamples, ec.LogZSamples, ec.Seed = 100, 16, 10000, 1
	return ec
}

// Diagnosis measures how much information z carries about x, on a validation sample, against the
// floors a model that ignores z would show:
//   - MI and noise-corrected AU against the same statistics on the chains dealt to the sentences at random
//     (Evaluate's floor);
//   - Gap = NLL - Recon, with Recon = E_{p(z|x)}[-log p(x|z)] (self-normalised importance sampling):
//     since log p(x) = E_{p(z|x)} log p(x|z) - KL(p(z|x) || p(z)), the gap estimates KL(p(z|x) || p(z)),
//     the nats z spends on x; it is 0 when z is ignored (the reconstruction term then equals the NLL);
//   - the posterior chains' displacement mean ||z_K - z_0|| against NoiseDisplacement, the displacement
//     of the same chain on a posterior equal to N(0, I) started from N(0, I) (a decoder ignoring z, the
//     gaussian prior; for chains started elsewhere, e.g. by the encoder, it is only a scale).
type Diagnosis struct {
	Step              int      `json:"step"`
	Kind              string   `json:"kind"` // "diagnosis"
	Sentences         int      `json:"valid_sentences"`
	Chains            int      `json:"chains"`
	K1                int      `json:"k1"`
	ValidNLL          float64  `json:"valid_nll"`
	ValidPPL          float64  `json:"valid_ppl"`
	Recon             float64  `json:"valid_recon"`
	Gap               float64  `json:"valid_gap"`
	MI                float64  `json:"valid_mi"`
	MIFloor           float64  `json:"valid_mi_floor"`
	AUCorrected       int      `json:"valid_au_corrected"`
	AUCorrectedFloor  int      `json:"valid_au_corrected_floor"`
	ZDim              int      `json:"z_dim"`
	Displacement      float64  `json:"valid_displacement"`
	NoiseDisplacement float64  `json:"noise_displacement"`
	Collapsed         bool     `json:"collapsed"` // no measure of the evaluation's verdict is informative
	Verdict           string   `json:"verdict"`
	EncoderMI         *float64 `json:"encoder_mi,omitempty"` // MI of q_phi(z|x) itself (with an inference network)
	EncoderAU         *int     `json:"encoder_au,omitempty"`
	Seconds           float64  `json:"seconds"`   // the diagnosis's own wall-clock time
	Elapsed           float64  `json:"elapsed_s"` // the run's wall-clock seconds when it ended (learn.Trainer.Elapsed)
}

// Diagnose estimates a Diagnosis on the first ec.MaxSentences sentences of ds (settings as DiagnoseConfig's).
func (m *Model) Diagnose(ds *corpora.Dataset, ec EvalConfig) (*Diagnosis, error) {
	start := time.Now()
	res, err := m.Evaluate(ds, "valid", ec, nil)
	if err != nil {
		return nil, err
	}
	d := diagnosisOf(res, m.Config)
	d.Seconds = time.Since(start).Seconds()
	return d, nil
}

func diagnosisOf(res *EvalResult, cfg Config) *Diagnosis {
	d := &Diagnosis{Kind: "diagnosis", Sentences: res.Sentences, Chains: res.Settings.Chains, K1: res.Settings.K1,
		ValidNLL: res.NLL, ValidPPL: res.PPL, Recon: res.Recon, Gap: res.NLL - res.Recon,
		MI: res.MI, MIFloor: res.MIFloor, AUCorrected: res.AUCorrected, AUCorrectedFloor: res.AUCorrectedFlr, ZDim: cfg.ZDim,
		Displacement: res.Displacement, EncoderMI: res.EncoderMI, EncoderAU: res.EncoderAU,
		NoiseDisplacement: NoiseDisplacement(cfg.ZDim, res.Settings.K1, learn.StepSchedule(res.Settings.S1, cfg.S1End))}
	d.Verdict, d.Collapsed = res.Verdict, true
	for _, e := range res.Evidence {
		d.Collapsed = d.Collapsed && !e.Informative
	}
	return d
}

// NoiseDisplacement is E||z_K - z_0|| for a Langevin chain on N(0, I_d) started at z_0 ~ N(0, I_d): each
// step is z <- a_k z + s_k eps with a_k = 1 - s_k^2/2, so z_K - z_0 = (prod a - 1) z_0 + w with w
// independent Gaussian noise: z_K - z_0 ~ N(0, v I) with v = (prod a - 1)^2 + Var w, whose norm has mean
// sqrt(2 v) Gamma((d+1)/2) / Gamma(d/2) (a chi distribution).
func NoiseDisplacement(d, K int, schedule func(k, K int) float64) float64 {
	prod, varW := 1.0, 0.0
	for k := 0; k < K; k++ {
		s := schedule(k, K)
		a := 1 - s*s/2
		prod *= a
		varW = a*a*varW + s*s
	}
	v := (prod-1)*(prod-1) + varW
	lg1, _ := math.Lgamma(float64(d+1) / 2)
	lg2, _ := math.Lgamma(float64(d) / 2)
	return math.Sqrt(2*v) * math.Exp(lg1-lg2)
}

// Short is the one-line summary for progress lines.
func (d *Diagnosis) Short() string {
	return fmt.Sprintf("MI %.2f (floor %.2f) AU %d/%d (floor %d) gap %.2f", d.MI, d.MIFloor, d.AUCorrected, d.ZDim, d.AUCorrectedFloor, d.Gap)
}

// Warning explains a collapsed latent and what to try (empty when not collapsed).
func (d *Diagnosis) Warning() string {
	if !d.Collapsed {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "warning: step %d: %s; chain displacement %.2f vs %.2f for a posterior equal to N(0, I)",
		d.Step, d.Verdict, d.Displacement, d.NoiseDisplacement)
	b.WriteString(". Try --posterior-init encoder, --prior-weight-warmup, or see `lebm sweep` and the README's recommended configuration.")
	return b.String()
}
