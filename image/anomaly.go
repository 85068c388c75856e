package image

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/lebm/lebm/corpora"
)

// AnomalyResult is the paper's MNIST anomaly-detection protocol on one held-out class.
type AnomalyResult struct {
	Class     int       `json:"class"`     // the held-out (anomalous) class
	Images    int       `json:"images"`    // test images scored
	Anomalies int       `json:"anomalies"` // of which in the held-out class
	Chains    int       `json:"chains"`
	K1        int       `json:"k1"`
	S1        float64   `json:"s1"`
	AUPRC     float64   `json:"auprc"`  // average precision, the held-out class as positive
	Chance    float64   `json:"chance"` // AUPRC of a random score: the share of anomalies
	Scores    []float64 `json:"-"`
}

// Format renders r for people, stating how it was estimated.
func (r *AnomalyResult) Format() string {
	return fmt.Sprintf("anomaly detection, class %d held out (%d test images, %d anomalies):\n"+
		"  AUPRC %.3f (chance %.3f); score = -log p(x, z) (unnormalised: -log p_beta(x|z) - f_alpha(z) + ||z||^2/2)\n"+
		"  averaged over %d posterior chains of %d Langevin steps (s = %g) per image\n",
		r.Class, r.Images, r.Anomalies, r.AUPRC, r.Chance, r.Chains, r.K1, r.S1)
}

// AnomalyScores returns, per image of set, the mean over chains posterior-chain end points z of
// -log p(x, z) = ||x - g(z)||^2 / (2 sigma^2) - f_alpha(z) + ||z||^2 / 2 (the posterior energy the chains
// run on, Model.Energy): the negative unnormalised log joint, larger for images the model finds unlikely
// (the paper's score).
func (m *Model) AnomalyScores(set *corpora.Images, ec EvalConfig, progress func(done, total int)) ([]float64, error) {
	n, err := m.evalImages(set, ec)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(ec.Seed, 0xa70a))
	scores := make([]float64, n)
	err = m.forBatches(set, n, func(idx []int, x []float32, real int) error {
		for c := 0; c < ec.Chains; c++ {
			z, err := m.InferPosterior(x, len(idx), nil, ec.K1, ec.S1, rng, -1)
			if err != nil {
				return err
			}
			e, err := m.Energy(x, z, len(idx))
			if err != nil {
				return err
			}
			for i := 0; i < real; i++ {
				scores[idx[i]] += float64(e[i]) / float64(ec.Chains)
			}
		}
		if progress != nil {
			progress(idx[0]+real, n)
		}
		return nil
	})
	return scores, err
}

// Anomaly runs the protocol: scores the test set and computes the AUPRC of the held-out class.
func (m *Model) Anomaly(test *corpora.Images, class int, ec EvalConfig, progress func(done, total int)) (*AnomalyResult, error) {
	scores, err := m.AnomalyScores(test, ec, progress)
	if err != nil {
		return nil, err
	}
	pos := make([]bool, len(scores))
	r := &AnomalyResult{Class: class, Images: len(scores), Chains: ec.Chains, K1: ec.K1, S1: ec.S1, Scores: scores}
	for i := range pos {
		pos[i] = test.Labels[i] == class
		if pos[i] {
			r.Anomalies++
		}
	}
	if r.Anomalies == 0 {
		return nil, fmt.Errorf("%s: no test image of class %d among the %d scored", test.Name, class, len(scores))
	}
	r.AUPRC = AveragePrecision(scores, pos)
	r.Chance = float64(r.Anomalies) / float64(len(scores))
	return r, nil
}

// AveragePrecision is the area under the precision-recall curve as average precision (scikit-learn's
// average_precision_score): with the examples sorted by decreasing score and thresholds at each distinct
// score, AP = sum_k (R_k - R_{k-1}) P_k. Tied scores enter together. It needs at least one positive.
func AveragePrecision(scores []float64, positive []bool) float64 {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	total := 0
	for _, p := range positive {
		if p {
			total++
		}
	}
	if total == 0 {
		return 0
	}
	var ap, prevRecall float64
	tp, seen := 0, 0
	for k := 0; k < len(order); {
		j := k
		for j < len(order) && scores[order[j]] == scores[order[k]] { // a threshold takes all tied scores
			if positive[order[j]] {
				tp++
			}
			seen++
			j++
		}
		recall := float64(tp) / float64(total)
		ap += (recall - prevRecall) * float64(tp) / float64(seen)
		prevRecall = recall
		k = j
	}
	return ap
}
