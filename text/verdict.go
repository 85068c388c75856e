package text

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/lebm/lebm/learn"
)

// The verdict on the latent (DESIGN.md): z is called informative only when every measure printed beside
// the verdict is above what a model ignoring z gives, beyond its standard error; collapsed when none is;
// unclear, naming the measures that disagree, otherwise.

// EvidenceSEs is how many standard errors a measure must exceed its null by to count as informative.
const EvidenceSEs = 2

// ReconstructedSentences is how many evaluated sentences (the first) are reconstructed, by greedy decoding
// of their posterior mean, for the reconstruction measure: the share of a sentence's words its
// reconstruction holds, against the same from the means of the chains dealt at random (a decoder that
// ignores z decodes both alike).
const ReconstructedSentences = 64

// Evidence is one measure of whether z carries information about x, beside its null: what a model whose
// posterior ignores x gives.
type Evidence struct {
	Measure     string  `json:"measure"`
	Value       float64 `json:"value"`
	Null        float64 `json:"null"`
	SE          float64 `json:"se"`    // standard error of Value - Null (0 for counts)
	Count       bool    `json:"count"` // Value and Null count units, with no standard error
	Informative bool    `json:"informative"`
	Rule        string  `json:"rule"` // what Informative required
}

// estimated is the evidence of an estimate against its null, each with its standard error: informative
// when value - null > EvidenceSEs * sqrt(valueSE^2 + nullSE^2).
func estimated(measure string, value, valueSE, null, nullSE float64) Evidence {
	se := math.Hypot(valueSE, nullSE)
	return Evidence{Measure: measure, Value: value, Null: null, SE: se, Informative: value-null > EvidenceSEs*se,
		Rule: fmt.Sprintf("above its null by more than %d standard errors", EvidenceSEs)}
}

// counted is the evidence of a count against its null: informative when it is more than need - 1 above it.
func counted(measure string, value, null, need int, rule string) Evidence {
	return Evidence{Measure: measure, Value: float64(value), Null: float64(null), Count: true, Informative: value-null >= need, Rule: rule}
}

func (e Evidence) String() string {
	if e.Count {
		return fmt.Sprintf("%s %.0f vs %.0f", e.Measure, e.Value, e.Null)
	}
	return fmt.Sprintf("%s %.3f vs %.3f (difference s.e. %.3f)", e.Measure, e.Value, e.Null, e.SE)
}

// judge is the one-line verdict on the evidence.
func judge(ev []Evidence) string {
	var yes, no []string
	for _, e := range ev {
		if e.Informative {
			yes = append(yes, e.String())
		} else {
			no = append(no, e.String())
		}
	}
	switch {
	case len(no) == 0:
		return "latent: informative (every measure above what a model ignoring z gives): " + strings.Join(yes, ", ")
	case len(yes) == 0:
		return "latent: collapsed (no measure above what a model ignoring z gives): " + strings.Join(no, ", ") +
			"; see the README's recommended configuration"
	}
	return "latent: unclear (the measures disagree): informative by " + strings.Join(yes, ", ") + "; not by " + strings.Join(no, ", ")
}

// nullFit is the fit the estimator would make for a model whose posterior ignores x, from the evaluated
// sentences' own chains (the floor of MI, MI_He and AU): their n*P end points pooled and dealt at random,
// P to each sentence (a permutation null: if q(z|x) does not depend on x, every dealing is as likely as the
// real one), then fitted as the real end points are (learn.FitEnds: mean, standard deviation with the
// floor, one draw). It keeps the chains' own distribution, Gaussian or not.
func nullFit(fit *learn.Fit, d, P int, floor float64, rng *rand.Rand) *learn.Fit {
	rows := len(fit.Ends) / d
	z := make([]float32, len(fit.Ends))
	for r, from := range rng.Perm(rows) {
		copy(z[r*d:(r+1)*d], fit.Ends[from*d:(from+1)*d])
	}
	return learn.FitEnds(z, rows/P, d, P, floor, rng)
}
