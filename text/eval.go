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
	LogZSamples  int `json:"log_z_samples"` // M_Z: samples of N(0, I) for log Z
	MaxSentences int `json:"max_sentences"` // evaluate at most this many sentences (0 = all)
	// MaxLen, when set, leaves the split's sentences of more tokens (with <bos> and <eos>) out of the
	// evaluation and counts them; 0 (corpora.Whole, the default) scores every sentence whole.
	MaxLen int    `json:"max_len"`
	Seed   uint64 `json:"seed"`
}

// Evaluation defaults.
const (
	DefaultEvalChains  = learn.DefaultEvalChains
	DefaultEvalSamples = learn.DefaultEvalSamples
	DefaultLogZSamples = learn.DefaultLogZSamples
	DefaultSigmaFloor  = learn.DefaultSigmaFloor
	DefaultRowsPerCall = learn.DefaultRowsPerCall
	AUThreshold        = 0.01 // a unit is active when Var_x(mu_x) exceeds it
)

// DefaultEvalConfig uses the training posterior chain's length and step size.
func DefaultEvalConfig(cfg Config) EvalConfig {
	return EvalConfig{Estimator: learn.Estimator{Chains: DefaultEvalChains, K1: cfg.K1, S1: cfg.S1, ImportanceSamples: DefaultEvalSamples,
		SigmaFloor: DefaultSigmaFloor, RowsPerCall: DefaultRowsPerCall},
		LogZSamples: DefaultLogZSamples, Seed: 1}
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
	case e.MaxSentences < 0:
		return fmt.Errorf("--max-sentences must be 0 (all) or more, got %d", e.MaxSentences)
	case e.MaxLen != corpora.Whole && e.MaxLen < 3:
		return fmt.Errorf("--max-len must be 0 (whole sentences) or at least 3 tokens, got %d", e.MaxLen)
	case e.RowsPerCall < e.Chains:
		return fmt.Errorf("rows per call (%d) must be at least the number of chains (%d)", e.RowsPerCall, e.Chains)
	}
	return nil
}

// chainMemory is what a call of the estimator's posterior chains needs (the rows callRows leaves of
// RowsPerCall at the reference length, at least Chains).
func (m *Model) chainMemory(ec EvalConfig) learn.Memory {
	rows := max(callRows(ec.RowsPerCall, m.Config.callLen(), m.Vocab.Size()), ec.Chains)
	return m.Config.ChainMemory(rows, fmt.Sprintf("--chains %d, --rows %d", ec.Chains, ec.RowsPerCall), m.Vocab.Size())
}

// EvalResult holds the metrics of DESIGN.md with how they were estimated.
type EvalResult struct {
	Corpus string `json:"corpus"` // the corpus directory, or "embedded" (set by the caller)
	Split  string `json:"split"`
	// UnknownShare is the share of the evaluated words that are <unk> under the model's vocabulary.
	UnknownShare float64 `json:"unknown_share"`
	Sentences    int     `json:"sentences"`
	Tokens       int     `json:"tokens"` // predicted tokens: words + <eos>
	// MaxLen is the longest scored sentence in tokens (with <bos> and <eos>); LeftOut counts the split's
	// sentences longer than EvalConfig.MaxLen, left out (0 unless it set one).
	MaxLen  int `json:"max_len"`
	LeftOut int `json:"left_out"`

	NLL   float64 `json:"nll"`   // nats per sentence, importance-sampled
	PPL   float64 `json:"ppl"`   // exp(sum NLL / tokens)
	Recon float64 `json:"recon"` // mean over sentences of E_{p(z|x)}[-log p(x|z)] (self-normalised importance sampling): reconstruction term
	// NLLSE is the standard error of NLL: sqrt(NLLSESentences^2 + LogZ.StdErr^2), the spread over
	// sentences (which holds each sentence's importance-sampling noise) and log Z's Monte Carlo error,
	// which every sentence shares.
	NLLSE          float64 `json:"nll_se"`
	NLLSESentences float64 `json:"nll_se_sentences"` // standard error of the mean NLL over sentences only
	// Gap = NLL - Recon estimates KL(p(z|x) || p(z)), 0 for a model ignoring z, with GapSE, the spread
	// over sentences and log Z's error. GapNull is what the estimator gives a model ignoring z: the
	// importance-sampling bias of log p(x), mean over sentences of LogPXSE^2 / 2 (log of a mean of S
	// weights is low by about Var(w) / (2 S E[w]^2); the reconstruction term has no such bias).
	Gap     float64 `json:"gap"`
	GapSE   float64 `json:"gap_se"`
	GapNull float64 `json:"gap_null"`

	SentenceNLL []float64 `json:"-"` // -log p(x) per sentence, in dataset order (for paired comparisons)

	// MI is I(x; z) under q(z|x) p_data(x), nats, with its standard error over sentences. It is estimated
	// from P chains per sentence and grows with their Monte Carlo noise (fewer chains: more), so it is
	// read against MIFloor: the same estimator on the same chains dealt to the sentences at random, which
	// carry no information about x (nullFit).
	MI        float64 `json:"mi"`
	MISE      float64 `json:"mi_se"`
	MIFloor   float64 `json:"mi_floor"`
	MIFloorSE float64 `json:"mi_floor_se"`
	MICeiling float64 `json:"mi_ceiling"` // log of the number of sentences in the mixture
	// MIHeCeiling is where MI_He's within-batch mixtures cap it: sum_b |b| log |b| / N (its exact entropy
	// can overshoot it a little).
	MIHeCeiling float64 `json:"mi_he_ceiling"`
	MIChains    int     `json:"mi_chains"` // P, the chains per sentence the MI estimates come from
	// MIHe and MIHeFloor are He et al. 2019's form of the same (HeMutualInformation: exact entropy,
	// the mixture within batches of at most HeBatch sentences of one length), for comparison with
	// published values; it can come out negative (its two terms are estimated apart).
	MIHe        float64 `json:"mi_he"`
	MIHeSE      float64 `json:"mi_he_se"`
	MIHeFloor   float64 `json:"mi_he_floor"`
	MIHeFloorSE float64 `json:"mi_he_floor_se"`

	AU             int       `json:"au"`           // dims with Var_x(mu_x) > 0.01
	AUCorrected    int       `json:"au_corrected"` // dims with Var_x(mu_x) - mean_x(sigma_x^2)/P > 0.01
	AUFloor        int       `json:"au_floor"`     // AU on the floor's chains (dealt at random): the largest of NullPermutations dealings
	AUCorrectedFlr int       `json:"au_corrected_floor"`
	AUBeyondFloor  int       `json:"au_beyond_floor"`        // active units whose variance beats the same unit's in every dealing
	Displacement   float64   `json:"posterior_displacement"` // mean ||z_K - z_0|| of the evaluation chains
	MuVariance     []float64 `json:"mu_variance"`            // Var_x(mu_x) per dimension
	NoiseVariance  []float64 `json:"noise_variance"`         // mean_x(sigma_x^2)/P per dimension: Monte Carlo floor

	// Reconstructions are the first ReconstructedSentences sentences' greedy decodings of their posterior
	// means: how many there were and how many differ from each other, and the same of the floor's means;
	// Agreement is the mean share of a sentence's words its reconstruction holds (agreement), against
	// AgreementFloor, the same of the floor's means, with AgreementSE, the s.e. of the paired difference.
	Reconstructions             int     `json:"reconstructions"`
	DistinctReconstructions     int     `json:"distinct_reconstructions"`
	DistinctReconstructionsNull int     `json:"distinct_reconstructions_floor"`
	Agreement                   float64 `json:"reconstruction_agreement"`
	AgreementFloor              float64 `json:"reconstruction_agreement_floor"`
	AgreementSE                 float64 `json:"reconstruction_agreement_se"`

	// With an inference network: the same statistics of q_phi(z|x) itself (exact means and variances, so
	// no Monte Carlo floor): the MI and AU that VAE papers report.
	EncoderMI   *float64 `json:"encoder_mi,omitempty"`
	EncoderMISE float64  `json:"encoder_mi_se,omitempty"`
	EncoderAU   *int     `json:"encoder_au,omitempty"`

	LogZ     prior.LogZ `json:"log_z"`
	Settings EvalConfig `json:"settings"`
	// Evidence lists every measure the verdict weighs, against its null; Verdict is the one-line
	// judgement (judge), for people and scripts.
	Evidence []Evidence `json:"evidence"`
	Verdict  string     `json:"verdict"`
	Prior    string     `json:"prior"`
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

// Evaluate computes NLL, PPL, MI and AU on ds (the split named split), as DESIGN.md defines them, their
// floors, the reconstructions of the first sentences, and the verdict on the latent.
func (m *Model) Evaluate(ds *corpora.Dataset, split string, ec EvalConfig, progress Progress) (*EvalResult, error) {
	if err := ec.Validate(); err != nil {
		return nil, err
	}
	chains := m.chainMemory(ec)
	if err := chains.Check(); err != nil {
		return nil, err
	}
	learn.LimitMemory(chains)
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
	fit, err := m.fitAndScore(ds, idx, ec, logZ.Value, rng, true, progressOf(progress, n*ec.Chains))
	if err != nil {
		return nil, err
	}
	res := &EvalResult{Split: split, Sentences: n, LeftOut: ds.LeftOut, LogZ: logZ, Settings: ec, Prior: m.Config.Prior,
		ChainStart: m.chainStartName()}
	batches := heBatches(ds, idx) // MI_He's, for the model and its floor alike
	res.score(ds, idx, batches, fit, m.Config.ZDim)
	null := res.floor(batches, fit, m.Config.ZDim, rng)
	if m.Encoder != nil {
		mi, se, au, err := m.encoderStats(ds, idx, rng)
		if err != nil {
			return nil, err
		}
		res.EncoderMI, res.EncoderMISE, res.EncoderAU = &mi, se, &au
	}
	if err := m.reconstructions(res, ds, idx, fit, null); err != nil {
		return nil, err
	}
	if err := res.checkFinite(); err != nil {
		return nil, err
	}
	res.Evidence = res.evidence()
	res.Verdict = judge(res.Evidence)
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
// term and the gap, both MI estimates and the active units.
func (r *EvalResult) score(ds *corpora.Dataset, idx []int, batches [][]int, fit *learn.Fit, d int) {
	n := len(idx)
	r.SentenceNLL = make([]float64, n)
	gap := make([]float64, n)
	var bias float64
	for i, lp := range fit.LogPX {
		ex := ds.Examples[idx[i]]
		r.SentenceNLL[i] = -lp
		gap[i] = -lp + fit.Recon[i]
		bias += fit.LogPXSE[i] * fit.LogPXSE[i] / 2 / float64(n)
		r.Tokens += len(ex) + 1
		r.MaxLen = max(r.MaxLen, len(ex)+2)
		r.Recon += -fit.Recon[i]
	}
	r.UnknownShare = ds.UnknownShare(n) // idx is the first n sentences
	r.NLL, r.NLLSESentences = learn.MeanSE(r.SentenceNLL)
	r.NLLSE = math.Hypot(r.NLLSESentences, r.LogZ.StdErr)
	r.PPL = math.Exp(r.NLL * float64(n) / float64(r.Tokens))
	r.Recon /= float64(n)
	r.Gap, r.GapSE = learn.MeanSE(gap)
	r.GapSE, r.GapNull = math.Hypot(r.GapSE, r.LogZ.StdErr), bias
	r.Displacement = fit.Displacement
	r.MIChains = r.Settings.Chains
	r.MI, r.MISE = MutualInformation(fit.Mu, fit.Sigma, fit.Sample, d)
	r.MIHe, r.MIHeSE = HeMutualInformation(fit.Mu, fit.Sigma, fit.Sample, d, batches)
	r.MICeiling = math.Log(float64(n))
	for _, b := range batches {
		r.MIHeCeiling += float64(len(b)) * math.Log(float64(len(b))) / float64(n)
	}
	r.MuVariance, r.NoiseVariance = unitVariances(fit.Mu, fit.Sigma, d, r.Settings.Chains)
	r.AU, r.AUCorrected = activeUnits(r.MuVariance, r.NoiseVariance)
}

// floor computes MI, MI_He and AU on the fit a model ignoring x would give (nullFit: fit's chain end
// points dealt to the sentences at random).
// The AU floors are the largest counts of NullPermutations dealings, and AUBeyondFloor counts the units
// active (noise-corrected) whose corrected variance exceeds that of the same unit in every dealing (a
// one-sided permutation test per unit at level 1/(NullPermutations+1) = 5%); the first dealing, returned,
// also gives the MI floors and the reconstructions' null.
func (r *EvalResult) floor(batches [][]int, fit *learn.Fit, d int, rng *rand.Rand) *learn.Fit {
	P := r.Settings.Chains
	var first *learn.Fit
	beyond := make([]bool, d) // dimension j active and above its corrected variance in every dealing
	for j := range beyond {
		beyond[j] = r.MuVariance[j]-r.NoiseVariance[j] > AUThreshold
	}
	for k := 0; k < NullPermutations; k++ {
		null := nullFit(fit, d, P, r.Settings.SigmaFloor, rng)
		mv, nv := unitVariances(null.Mu, null.Sigma, d, P)
		au, corrected := activeUnits(mv, nv)
		r.AUFloor, r.AUCorrectedFlr = max(r.AUFloor, au), max(r.AUCorrectedFlr, corrected)
		for j := range beyond {
			beyond[j] = beyond[j] && r.MuVariance[j]-r.NoiseVariance[j] > mv[j]-nv[j]
		}
		if first == nil {
			first = null
		}
	}
	for _, b := range beyond {
		if b {
			r.AUBeyondFloor++
		}
	}
	r.MIFloor, r.MIFloorSE = MutualInformation(first.Mu, first.Sigma, first.Sample, d)
	r.MIHeFloor, r.MIHeFloorSE = HeMutualInformation(first.Mu, first.Sigma, first.Sample, d, batches)
	return first
}

// NullPermutations is how many random dealings of the chains (nullFit) give the active units' floor.
const NullPermutations = 19

// reconstructions decodes the posterior means of the first ReconstructedSentences sentences of idx
// greedily, and the null fit's means (the chains dealt at random), and compares each with its sentence:
// the distinct decodings, and the share of the sentence's words each holds (agreement).
func (m *Model) reconstructions(r *EvalResult, ds *corpora.Dataset, idx []int, fit, null *learn.Fit) error {
	k := min(ReconstructedSentences, r.Sentences)
	real, err := m.decodeMeans(fit.Mu, k)
	if err != nil {
		return err
	}
	floor, err := m.decodeMeans(null.Mu, k)
	if err != nil {
		return err
	}
	diff := make([]float64, k)
	for i := range diff {
		x := ds.Examples[idx[i]]
		a, b := agreement(real[i], x), agreement(floor[i], x)
		r.Agreement += a / float64(k)
		r.AgreementFloor += b / float64(k)
		diff[i] = a - b
	}
	_, r.AgreementSE = learn.MeanSE(diff)
	r.Reconstructions, r.DistinctReconstructions, r.DistinctReconstructionsNull = k, distinct(real), distinct(floor)
	return nil
}

// decodeMeans decodes the first k means of mu (flat [n*d]) greedily.
func (m *Model) decodeMeans(mu []float64, k int) ([][]int, error) {
	z := make([]float32, k*m.Config.ZDim)
	for i := range z {
		z[i] = float32(mu[i])
	}
	return m.Decode(z, k, DecodeOptions{Method: Greedy}, nil)
}

// agreement is the share of the words of x that y has, counted with their multiplicity (clipped unigram
// recall: sum_w min(count_y(w), count_x(w)) / |x|; 0 for an empty x): how much of the sentence its
// reconstruction holds, wherever it puts it.
func agreement(y, x []int) float64 {
	if len(x) == 0 {
		return 0
	}
	have := map[int]int{}
	for _, w := range y {
		have[w]++
	}
	same := 0
	for _, w := range x {
		if have[w] > 0 {
			have[w]--
			same++
		}
	}
	return float64(same) / float64(len(x))
}

// distinct is the number of distinct sentences among ss.
func distinct(ss [][]int) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[fmt.Sprint(s)] = true
	}
	return len(seen)
}

// evidence lists the measures the verdict weighs: MI and MI_He against their floors, the units active
// beyond every dealing of the chains at random, the gap NLL - recon against its importance-sampling bias,
// the share of its words a sentence's reconstruction holds against the floor's (paired over the sentences),
// and the inference network's own MI and AU against 0 where there is one.
func (r *EvalResult) evidence() []Evidence {
	ev := []Evidence{
		estimated("MI", r.MI, r.MISE, r.MIFloor, r.MIFloorSE),
		estimated("MI_He", r.MIHe, r.MIHeSE, r.MIHeFloor, r.MIHeFloorSE),
		counted(fmt.Sprintf("units above all %d dealings", NullPermutations), r.AUBeyondFloor, 0, 1,
			"a unit whose noise-corrected variance exceeds 0.01 and its own in every dealing of the chains at random"),
		estimated("gap NLL - recon", r.Gap, r.GapSE, r.GapNull, 0),
		estimated("words of the input reconstructed", r.Agreement, r.AgreementSE, r.AgreementFloor, 0),
	}
	if r.EncoderMI != nil && r.EncoderAU != nil {
		ev = append(ev, estimated("encoder MI", *r.EncoderMI, r.EncoderMISE, 0, 0),
			counted("encoder AU", *r.EncoderAU, 0, 1, "at least one active unit"))
	}
	return ev
}

// checkFinite refuses a result with a non-finite number (learn.CheckResult).
func (r *EvalResult) checkFinite() error {
	return learn.CheckResult("evaluation of the "+r.Split+" split", "NLL", r.NLL, "its standard error", r.NLLSE, "PPL", r.PPL,
		"reconstruction term", r.Recon, "gap", r.Gap, "MI", r.MI, "MI_He", r.MIHe, "MI floor", r.MIFloor, "MI_He floor", r.MIHeFloor,
		"log Z", r.LogZ.Value)
}

// encoderStats returns MI with its standard error (mixture estimator, one draw per sentence) and AU
// (Var_x(mu_phi(x)) > AUThreshold) of the inference network's q_phi(z|x) over the sentences idx of ds.
func (m *Model) encoderStats(ds *corpora.Dataset, idx []int, rng *rand.Rand) (mi, se float64, au int, err error) {
	d, n := m.Config.ZDim, len(idx)
	mu, sigma, sample := make([]float64, n*d), make([]float64, n*d), make([]float64, n*d)
	order, byBucket := groupByBucket(ds, idx)
	for _, T := range order {
		positions := byBucket[T]
		B := learn.CallSize(len(positions), DefaultRowsPerCall)
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
				return 0, 0, 0, err
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
	au, _ = activeUnits(unitVariances(mu, sigma, d, 1))
	mi, se = MutualInformation(mu, sigma, sample, d)
	return mi, se, au, nil
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
