package text

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/sampler"
)

// EvalConfig are the estimator settings of Evaluate (learn.Estimator's, per sentence, and the text
// evaluation's own); every result reports them.
type EvalConfig struct {
	learn.Estimator
	LogZSamples    int `json:"log_z_samples"`   // M_Z: samples of N(0, I) for log Z
	FloorSentences int `json:"floor_sentences"` // copies of one sentence for the MI / AU floor (0 = as many as evaluated sentences)
	MaxSentences   int `json:"max_sentences"`   // evaluate at most this many sentences (0 = all)
	// MaxLen is the hard limit on a scored sentence in tokens including <bos> and <eos>; 0
	// (corpora.Whole, the default) scores every sentence whole, whatever the training MaxLen.
	MaxLen int    `json:"max_len"`
	Seed   uint64 `json:"seed"`
}

// Evaluation defaults.
const (
	DefaultEvalChains     = learn.DefaultEvalChains
	DefaultEvalSamples    = learn.DefaultEvalSamples
	DefaultLogZSamples    = learn.DefaultLogZSamples
	DefaultSigmaFloor     = learn.DefaultSigmaFloor
	DefaultFloorSentences = 0 // as many copies as sentences: the floor's MI then has the same ceiling log N
	DefaultRowsPerCall    = learn.DefaultRowsPerCall
	AUThreshold           = 0.01 // a unit is active when Var_x(mu_x) exceeds it
)

// DefaultEvalConfig uses the training posterior chain's length and step size.
func DefaultEvalConfig(cfg Config) EvalConfig {
	return EvalConfig{Estimator: learn.Estimator{Chains: DefaultEvalChains, K1: cfg.K1, S1: cfg.S1, ImportanceSamples: DefaultEvalSamples,
		SigmaFloor: DefaultSigmaFloor, RowsPerCall: DefaultRowsPerCall},
		LogZSamples: DefaultLogZSamples, FloorSentences: DefaultFloorSentences, Seed: 1}
}

// Validate checks the estimator settings.
func (e *EvalConfig) Validate() error {
	switch {
	case e.Chains < 2:
		return fmt.Errorf("need at least 2 posterior chains per sentence to fit q(z|x), got %d", e.Chains)
	case e.K1 < 0 || !learn.PositiveFloat32(e.S1):
		return fmt.Errorf("evaluation chain needs steps >= 0 and a step size positive and finite in float32, got %d and %v", e.K1, e.S1)
	case e.ImportanceSamples < 1:
		return fmt.Errorf("need at least one importance sample")
	case e.LogZSamples < 1:
		return fmt.Errorf("need at least one log Z sample")
	case !learn.PositiveFloat32(e.SigmaFloor):
		return fmt.Errorf("sigma floor must be positive and finite in float32, got %v", e.SigmaFloor)
	case e.FloorSentences < 0:
		return fmt.Errorf("floor sentences must be >= 0")
	case e.MaxSentences < 0:
		return fmt.Errorf("--max-sentences must be 0 (all) or more, got %d", e.MaxSentences)
	case e.MaxLen != corpora.Whole && e.MaxLen < 3:
		return fmt.Errorf("evaluation max length must be 0 (whole sentences) or at least 3 tokens, got %d", e.MaxLen)
	case e.RowsPerCall < e.Chains:
		return fmt.Errorf("rows per call (%d) must be at least the number of chains (%d)", e.RowsPerCall, e.Chains)
	}
	return nil
}

// chainMemory is what a call of the estimator's posterior chains needs (RowsPerCall rows, at least Chains).
func (m *Model) chainMemory(ec EvalConfig) learn.Memory {
	rows := max(ec.RowsPerCall, ec.Chains)
	return m.Config.ChainMemory(rows, fmt.Sprintf("--chains %d, --rows %d", ec.Chains, ec.RowsPerCall), m.Vocab.Size())
}

// EvalResult holds the metrics of DESIGN.md with how they were estimated.
type EvalResult struct {
	Split     string `json:"split"`
	Sentences int    `json:"sentences"`
	Tokens    int    `json:"tokens"` // predicted tokens: words + <eos>
	// MaxLen is the longest scored sentence in tokens (with <bos> and <eos>); Truncated counts the
	// evaluated sentences that were cut to the data set's limit (0 unless EvalConfig.MaxLen set one).
	MaxLen    int `json:"max_len"`
	Truncated int `json:"truncated"`

	NLL   float64 `json:"nll"`   // nats per sentence, importance-sampled
	PPL   float64 `json:"ppl"`   // exp(sum NLL / tokens)
	Recon float64 `json:"recon"` // mean over sentences of E_{p(z|x)}[-log p(x|z)] (self-normalised importance sampling): reconstruction term
	// NLLSE is the standard error of NLL: sqrt(NLLSESentences^2 + LogZ.StdErr^2), the spread over
	// sentences (which holds each sentence's importance-sampling noise) and log Z's Monte Carlo error,
	// which every sentence shares.
	NLLSE          float64 `json:"nll_se"`
	NLLSESentences float64 `json:"nll_se_sentences"` // standard error of the mean NLL over sentences only

	SentenceNLL []float64 `json:"-"` // -log p(x) per sentence, in dataset order (for paired comparisons)

	MI        float64 `json:"mi"`         // I(x; z) under q(z|x) p_data(x), nats
	MIFloor   float64 `json:"mi_floor"`   // the same on copies of one sentence (no information about x)
	MICeiling float64 `json:"mi_ceiling"` // log of the number of sentences in the mixture
	// MIHe and MIHeFloor are He et al. 2019's form of the same (HeMutualInformation: exact entropy,
	// the mixture within batches of at most HeBatch sentences of one length), for comparison with
	// published values.
	MIHe      float64 `json:"mi_he"`
	MIHeFloor float64 `json:"mi_he_floor"`

	AU             int       `json:"au"`           // dims with Var_x(mu_x) > 0.01
	AUCorrected    int       `json:"au_corrected"` // dims with Var_x(mu_x) - mean_x(sigma_x^2)/P > 0.01
	AUFloor        int       `json:"au_floor"`     // AU on the copies of one sentence
	AUCorrectedFlr int       `json:"au_corrected_floor"`
	Displacement   float64   `json:"posterior_displacement"` // mean ||z_K - z_0|| of the evaluation chains
	MuVariance     []float64 `json:"mu_variance"`            // Var_x(mu_x) per dimension
	NoiseVariance  []float64 `json:"noise_variance"`         // mean_x(sigma_x^2)/P per dimension: Monte Carlo floor
	FloorSentence  int       `json:"floor_sentence"`         // index of the sentence repeated for the floor
	FloorCopies    int       `json:"floor_copies"`

	// With an inference network: the same statistics of q_phi(z|x) itself (exact means and variances, so
	// no Monte Carlo floor): the MI and AU that VAE papers report.
	EncoderMI *float64 `json:"encoder_mi,omitempty"`
	EncoderAU *int     `json:"encoder_au,omitempty"`

	LogZ     prior.LogZ `json:"log_z"`
	Settings EvalConfig `json:"settings"`
	// Verdict is the one-line judgement on the latent (see verdict), for people and scripts.
	Verdict string `json:"verdict"`
	Prior   string `json:"prior"`
	// ChainStart is where the evaluation chains started: "N(0, I)" or "the inference network's draws".
	ChainStart string `json:"chain_start"`
}

// Progress reports evaluation progress (done of total chain rows).
type Progress func(done, total int)

// chainStart is where evaluation chains start: draws of the inference network when the model has one,
// N(0, I) otherwise (nil: persistent states exist for training examples only).
func (m *Model) chainStart() learn.ChainStart {
	if m.Encoder == nil {
		return nil
	}
	return func(data []any, rows int, rng *rand.Rand) ([]float32, error) {
		z, _, _, err := m.encodeData(data, sampler.StandardNormal(rng, rows*m.Config.ZDim), rows)
		return z, err
	}
}

// chainStartName says where evaluation chains start, for reports.
func (m *Model) chainStartName() string {
	if m.Encoder == nil {
		return "N(0, I)"
	}
	return "the inference network's draws"
}

// Evaluate computes NLL, PPL, MI and AU on ds (the split named split), as DESIGN.md defines them.
func (m *Model) Evaluate(ds *corpora.Dataset, split string, ec EvalConfig, progress Progress) (*EvalResult, error) {
	if err := ec.Validate(); err != nil {
		return nil, err
	}
	if err := m.chainMemory(ec).Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(ec.Seed, 0xe7a1))
	logZ, err := m.EstimateLogZ(ec.LogZSamples, rng)
	if err != nil {
		return nil, err
	}
	n := len(ds.Examples)
	if ec.MaxSentences > 0 && ec.MaxSentences < n {
		n = ec.MaxSentences
	}
	if n < 2 {
		return nil, fmt.Errorf("evaluation needs at least 2 sentences, %s has %d", split, n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	nFloor := n
	if ec.FloorSentences > 0 {
		nFloor = min(ec.FloorSentences, n)
	}
	report := progressOf(progress, (n+nFloor)*ec.Chains)
	main, err := m.fitAndScore(ds, idx, ec, logZ.Value, rng, true, report)
	if err != nil {
		return nil, err
	}
	res := &EvalResult{Split: split, Sentences: n, LogZ: logZ, Settings: ec, Prior: m.Config.Prior, FloorSentence: 0, FloorCopies: nFloor,
		ChainStart: m.chainStartName()}
	res.score(ds, idx, main, m.Config.ZDim)
	if m.Encoder != nil {
		mi, au, err := m.encoderStats(ds, idx, rng)
		if err != nil {
			return nil, err
		}
		res.EncoderMI, res.EncoderAU = &mi, &au
	}
	if err := res.checkFinite(); err != nil {
		return nil, err
	}
	if err := m.floor(res, ds, ec, rng, report); err != nil {
		return nil, err
	}
	res.Verdict = res.verdict()
	return res, nil
}

// progressOf counts the chain rows done against total for progress (nil: none).
func progressOf(progress Progress, total int) func(rows int) {
	done := 0
	return func(rows int) {
		done += rows
		if progress != nil {
			progress(done, total)
		}
	}
}

// score fills in the measures of the fit of sentences idx of ds (log p(x), q(z|x) and a draw of it per
// sentence): NLL with its standard errors (over sentences, and with log Z's), PPL, the reconstruction
// term, both MI estimates and the active units.
func (r *EvalResult) score(ds *corpora.Dataset, idx []int, fit *learn.Fit, d int) {
	n := len(idx)
	r.SentenceNLL = make([]float64, n)
	for i, lp := range fit.LogPX {
		r.SentenceNLL[i] = -lp
		r.Tokens += len(ds.Examples[idx[i]]) + 1
		r.MaxLen = max(r.MaxLen, len(ds.Examples[idx[i]])+2)
		if ds.Cut(idx[i]) {
			r.Truncated++
		}
		r.Recon += -fit.Recon[i]
	}
	r.NLL, r.NLLSESentences = learn.MeanSE(r.SentenceNLL)
	r.NLLSE = math.Hypot(r.NLLSESentences, r.LogZ.StdErr)
	r.PPL = math.Exp(r.NLL * float64(n) / float64(r.Tokens))
	r.Recon /= float64(n)
	r.Displacement = fit.Displacement
	r.MI = MutualInformation(fit.Mu, fit.Sigma, fit.Sample, d)
	r.MIHe = HeMutualInformation(fit.Mu, fit.Sigma, fit.Sample, d, heBatches(ds, idx))
	r.MICeiling = math.Log(float64(n))
	r.MuVariance, r.NoiseVariance = unitVariances(fit.Mu, fit.Sigma, d, r.Settings.Chains)
	r.AU, r.AUCorrected = activeUnits(r.MuVariance, r.NoiseVariance)
}

// floor computes MI and AU on res.FloorCopies copies of the first sentence of ds (their Monte Carlo
// floor); with fewer than 2 copies there is none.
func (m *Model) floor(res *EvalResult, ds *corpora.Dataset, ec EvalConfig, rng *rand.Rand, report func(int)) error {
	if res.FloorCopies < 2 {
		res.FloorCopies = 0
		return nil
	}
	d := m.Config.ZDim
	copies := make([]int, res.FloorCopies)
	fl, err := m.fitAndScore(ds, copies, ec, res.LogZ.Value, rng, false, report)
	if err != nil {
		return err
	}
	res.MIFloor = MutualInformation(fl.Mu, fl.Sigma, fl.Sample, d)
	res.MIHeFloor = HeMutualInformation(fl.Mu, fl.Sigma, fl.Sample, d, heBatches(ds, copies))
	if err := learn.CheckResult("evaluation of the "+res.Split+" split's floor", "MI floor", res.MIFloor, "MI_He floor", res.MIHeFloor); err != nil {
		return err
	}
	mv, nv := unitVariances(fl.Mu, fl.Sigma, d, ec.Chains)
	res.AUFloor, res.AUCorrectedFlr = activeUnits(mv, nv)
	return nil
}

// verdict says whether z carries information about x, by the collapse criterion (Collapsed) against
// the Monte Carlo floor, with the numbers behind it.
func (r *EvalResult) verdict() string {
	if r.FloorCopies < 2 {
		return fmt.Sprintf("latent: not judged (no Monte Carlo floor: %d floor copies); MI %.3f, noise-corrected AU %d", r.FloorCopies, r.MI, r.AUCorrected)
	}
	nums := fmt.Sprintf("MI %.3f vs floor %.3f (%+.3f nats), noise-corrected active units %d vs floor %d", r.MI, r.MIFloor, r.MI-r.MIFloor,
		r.AUCorrected, r.AUCorrectedFlr)
	if Collapsed(r.MI, r.MIFloor, r.AUCorrected, r.AUCorrectedFlr) {
		return "latent: collapsed (z carries no information about x beyond Monte Carlo noise): " + nums +
			"; see the README's recommended configuration"
	}
	return "latent: informative: " + nums
}

// checkFinite refuses a result with a non-finite number (learn.CheckResult).
func (r *EvalResult) checkFinite() error {
	return learn.CheckResult("evaluation of the "+r.Split+" split", "NLL", r.NLL, "its standard error", r.NLLSE, "PPL", r.PPL,
		"reconstruction term", r.Recon, "MI", r.MI, "MI_He", r.MIHe, "log Z", r.LogZ.Value)
}

// encoderStats returns MI (mixture estimator, one draw per sentence) and AU (Var_x(mu_phi(x)) > AUThreshold)
// of the inference network's q_phi(z|x) over the sentences idx of ds.
func (m *Model) encoderStats(ds *corpora.Dataset, idx []int, rng *rand.Rand) (float64, int, error) {
	d, n := m.Config.ZDim, len(idx)
	mu, sigma, sample := make([]float64, n*d), make([]float64, n*d), make([]float64, n*d)
	order, byBucket := groupByBucket(ds, idx)
	const B = 256
	for _, T := range order {
		positions := byBucket[T]
		for start := 0; start < len(positions); start += B {
			group := positions[start:min(start+B, len(positions))]
			rows := make([]int, B)
			for r := range rows {
				rows[r] = -1
				if r < len(group) {
					rows[r] = idx[group[r]]
				}
			}
			_, mu32, lv32, err := m.EncodeStart(ds.MakeBatch(rows, T), make([]float32, B*d))
			if err != nil {
				return 0, 0, err
			}
			for r, pos := range group {
				for j := 0; j < d; j++ {
					mu[pos*d+j] = float64(mu32[r*d+j])
					sigma[pos*d+j] = math.Exp(float64(lv32[r*d+j]) / 2)
					sample[pos*d+j] = mu[pos*d+j] + sigma[pos*d+j]*rng.NormFloat64()
				}
			}
		}
	}
	au, _ := activeUnits(unitVariances(mu, sigma, d, 1))
	return MutualInformation(mu, sigma, sample, d), au, nil
}

// unitVariances returns per dimension Var_x(mu_x) (population variance over sentences) and the Monte
// Carlo noise floor mean_x(sigma_x^2)/P of a mean of P chains.
func unitVariances(mu, sigma []float64, d, P int) (muVar, noise []float64) {
	n := len(mu) / d
	muVar, noise = make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		var s1, s2, sn float64
		for i := 0; i < n; i++ {
			v := mu[i*d+j]
			s1 += v
			s2 += v * v
			sn += sigma[i*d+j] * sigma[i*d+j]
		}
		m := s1 / float64(n)
		muVar[j] = s2/float64(n) - m*m
		noise[j] = sn / float64(n) / float64(P)
	}
	return
}

// activeUnits counts dimensions with Var_x(mu_x) > AUThreshold, raw and after subtracting the noise floor.
func activeUnits(muVar, noise []float64) (au, corrected int) {
	for j := range muVar {
		if muVar[j] > AUThreshold {
			au++
		}
		if muVar[j]-noise[j] > AUThreshold {
			corrected++
		}
	}
	return
}
