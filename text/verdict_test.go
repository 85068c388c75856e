package text

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"
)

// informativeResult is an evaluation whose every measure is well above its null.
func informativeResult() *EvalResult {
	mi, au := 0.6, 27
	return &EvalResult{MI: 4.5, MISE: 0.02, MIFloor: 4.0, MIFloorSE: 0.02, MIHe: 2.9, MIHeSE: 0.03, MIHeFloor: 2.7, MIHeFloorSE: 0.03,
		AUCorrected: 30, AUCorrectedFlr: 0, AUBeyondFloor: 30, Gap: 1.9, GapSE: 0.05, Reconstructions: 64, DistinctReconstructions: 60,
		DistinctReconstructionsNull: 8, Agreement: 0.3, AgreementFloor: 0.1, AgreementSE: 0.02, EncoderMI: &mi, EncoderMISE: 0.01, EncoderAU: &au}
}

// TestVerdictNeedsEveryMeasure: the cases the issue reported, each of which the earlier rule (MI above
// its floor by 0.1 OR one more active unit) called informative, are not informative; a result informative
// by every measure is; one informative by none is collapsed.
func TestVerdictNeedsEveryMeasure(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(r *EvalResult)
		disagree   string
	}{
		{"every measure above its null", "latent: informative (", func(r *EvalResult) {}, ""},
		{"every input reconstructed to the same sentence (as from the chains dealt at random)", "latent: unclear (", func(r *EvalResult) {
			r.DistinctReconstructions, r.DistinctReconstructionsNull, r.Agreement, r.AgreementFloor, r.AgreementSE = 1, 1, 0.1, 0.1, 0
		}, "words of the input reconstructed 0.100 vs 0.100"},
		{"an inference network with 0 active units", "latent: unclear (", func(r *EvalResult) { zero := 0; r.EncoderAU = &zero }, "encoder AU 0 vs 0"},
		{"MI +0.29, AU 12 vs 8, MI_He below its floor", "latent: unclear (", func(r *EvalResult) {
			r.MI, r.MIFloor, r.AUCorrected, r.AUCorrectedFlr, r.MIHe, r.MIHeFloor = 3.29, 3.0, 12, 8, 2.56, 2.76
		}, "MI_He 2.560 vs 2.760"},
		{"more active units than a floor, none beyond every dealing", "latent: unclear (", func(r *EvalResult) {
			r.AUCorrected, r.AUCorrectedFlr, r.AUBeyondFloor = 10, 7, 0
		}, "units above all 19 dealings 0 vs 0"},
		{"MI above its floor by less than two standard errors", "latent: unclear (", func(r *EvalResult) { r.MI, r.MISE, r.MIFloorSE = 4.05, 0.02, 0.02 }, "MI 4.050 vs 4.000"},
		{"nothing above its null", "latent: collapsed (", func(r *EvalResult) {
			zero, none := 0, 0.0
			r.MI, r.MIHe, r.AUBeyondFloor, r.Gap, r.Agreement, r.EncoderMI, r.EncoderAU = 4.0, 2.7, 0, 0.01, 0.1, &none, &zero
		}, ""},
	}
	for _, c := range cases {
		r := informativeResult()
		c.edit(r)
		ev := r.evidence()
		v := judge(ev)
		if !strings.HasPrefix(v, c.want) {
			t.Errorf("%s: verdict %q, want %q", c.name, v, c.want)
		}
		if c.disagree != "" && !strings.Contains(v, "not by "+c.disagree) && !strings.Contains(v, ", "+c.disagree) {
			t.Errorf("%s: the verdict does not name %q: %q", c.name, c.disagree, v)
		}
		for _, e := range ev { // every number the verdict weighs is printed in it
			if !strings.Contains(v, e.String()) {
				t.Errorf("%s: the verdict leaves out %s: %q", c.name, e, v)
			}
		}
	}
}

// TestNullFitCarriesNoInformation: on chains whose end points do not depend on the sentence (drawn from
// one skewed distribution, not a Gaussian), MI and MI_He sit at their permutation floor within two
// standard errors, and no unit is active beyond the noise; on chains whose means depend on the sentence,
// MI is far above it.
func TestNullFitCarriesNoInformation(t *testing.T) {
	const n, d, P = 400, 4, 16
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shift := range []float64{0, 1.5} {
		z := make([]float32, n*P*d)
		for i := 0; i < n; i++ {
			m := shift * rng.NormFloat64() // the sentence's own mean (0: none)
			for p := 0; p < P; p++ {
				for j := 0; j < d; j++ {
					e := rng.ExpFloat64() - 1 // skewed, mean 0
					if j == 0 {
						e += m
					}
					z[(i*P+p)*d+j] = float32(e)
				}
			}
		}
		fit := learn.FitEnds(z, n, d, P, 0.05, rng)
		fit.Ends = z
		null := nullFit(fit, d, P, 0.05, rng)
		mi, miSE := learn.MeanSE(miTerms(fit.Mu, fit.Sigma, fit.Sample, d))
		fl, flSE := learn.MeanSE(miTerms(null.Mu, null.Sigma, null.Sample, d))
		e := estimated("MI", mi, miSE, fl, flSE)
		t.Logf("shift %g: %s", shift, e)
		if shift == 0 && (e.Informative || math.Abs(mi-fl) > 3*e.SE) {
			t.Errorf("no information: %s", e)
		}
		if shift > 0 && (!e.Informative || mi-fl < 0.3) {
			t.Errorf("the first dimension's mean depends on the sentence: %s", e)
		}
		_, au := activeUnits(unitVariances(null.Mu, null.Sigma, d, P))
		if au != 0 {
			t.Errorf("shift %g: %d noise-corrected active units on the null", shift, au)
		}
	}
}
