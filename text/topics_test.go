package text

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lebm/lebm/learn"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/prior"
)

// TestCentroidAccuracyAnalytic: two classes N(-delta e1, I) and N(+delta e1, I) in d = 3 with equal
// shares; with the centroids at the class means the nearest-centroid rule is the Bayes rule, whose
// accuracy is Phi(delta). Fitted on 20000 points and scored on 20000 others, the accuracy must be within 4
// binomial standard errors of Phi(delta) (the centroids' own error, about 1/sqrt(10000) per coordinate,
// moves it by far less); with the labels of the scored points shuffled it must be near 1/2.
func TestCentroidAccuracyAnalytic(t *testing.T) {
	const n, d, delta = 20000, 3, 0.8
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func() ([]float32, []int) {
		x, l := make([]float32, n*d), make([]int, n)
		for i := range l {
			l[i] = rng.IntN(2)
			for j := 0; j < d; j++ {
				x[i*d+j] = float32(rng.NormFloat64())
			}
			x[i*d] += float32(delta * float64(2*l[i]-1))
		}
		return x, l
	}
	fit, fitL := draw()
	x, l := draw()
	acc, err := learn.CentroidAccuracy(fit, fitL, x, l, d, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := 0.5 * math.Erfc(-delta/math.Sqrt2)
	se := math.Sqrt(want * (1 - want) / n)
	if math.Abs(acc-want) > 4*se {
		t.Errorf("accuracy %.4f, want Phi(%.1f) = %.4f (s.e. %.4f)", acc, delta, want, se)
	}
	rng.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
	if acc, _ := learn.CentroidAccuracy(fit, fitL, x, l, d, 2); math.Abs(acc-0.5) > 4*math.Sqrt(0.25/n) {
		t.Errorf("accuracy %.4f with shuffled labels, want 1/2", acc)
	}
	if _, err := learn.CentroidAccuracy(fit, append([]int{2}, fitL[1:]...), x, l, d, 2); err == nil {
		t.Error("a label outside [0, k) was accepted")
	}
}

// TestSampleTopicsOfTheCorpus: the corpus's own sentences have one topic each, so SingleTopic is 1 and
// nothing lacks a topic, and their topic shares are multinomial draws from the topic weights: TV is
// within a few times its sampling scale (sum_k sqrt(w_k (1 - w_k) / n) / 2, about 0.017 for n = 4000).
// A corpus of one topic is at TV 1 - w_topic from the weights.
func TestSampleTopicsOfTheCorpus(t *testing.T) {
	sents, labels := corpora.Generate(4000, 7)
	props, tv, single, none := SampleTopics(sents, corpora.TopicWeights)
	scale := 0.0
	for _, w := range corpora.TopicWeights {
		scale += 0.5 * math.Sqrt(w*(1-w)/float64(len(sents)))
	}
	if single != 1 || none != 0 || tv > 3*scale {
		t.Errorf("corpus sentences: TV %.4f (scale %.4f), single-topic %.3f, no topic %.3f; shares %v", tv, scale, single, none, props)
	}
	var sport [][]string
	for i, s := range sents {
		if labels[i] == 1 {
			sport = append(sport, s)
		}
	}
	if _, tv, _, _ := SampleTopics(sport, corpora.TopicWeights); math.Abs(tv-(1-corpora.TopicWeights[1])) > 1e-9 {
		t.Errorf("one-topic samples: TV %.4f, want %.4f", tv, 1-corpora.TopicWeights[1])
	}
	mixed := [][]string{{"the", "cold", "team", "wins"}, {}}
	if _, _, single, none := SampleTopics(mixed, corpora.TopicWeights); single != 0 || none != 0.5 {
		t.Errorf("a mixed and an empty sentence: single-topic %.2f, no topic %.2f; want 0 and 0.5", single, none)
	}
	if s := learn.MajorityShare([]int{0, 1, 1, 3}, 4); s != 0.5 {
		t.Errorf("MajorityShare %.2f, want 0.5", s)
	}
}

// TestMethodNamesTheConfiguration: the run's "learning:" line says the paper's method for the paper's
// presets and names what differs otherwise; the embedded default points to the paper's preset.
func TestMethodNamesTheConfiguration(t *testing.T) {
	for _, tc := range []struct {
		preset string
		want   []string
	}{
		{"embedded-paper", []string{"the paper's: short-run Langevin", "K1 = 20", "K0 = 60"}},
		{"ptb", []string{"not the paper's", "replaces the posterior chain (K1 = 0)", "the README's recommended configuration", "--learning paper"}},
		{"embedded", []string{"not the paper's", "replaces the posterior chain (K1 = 0)", "free bits 0.1", "bag-of-words loss (weight 1)", "--preset embedded-paper"}},
	} {
		cfg, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Method()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("preset %s: %q lacks %q", tc.preset, got, w)
			}
		}
	}
	// Changed learning settings are named, and the embedded preset's label goes with its settings only.
	cfg, _ := Preset("embedded")
	cfg.BoWWeight, cfg.Prior = 0, prior.Gaussian
	if got := cfg.Method(); strings.Contains(got, "embedded-paper") || strings.Contains(got, "bag-of-words") || !strings.Contains(got, "no prior chain") {
		t.Errorf("embedded without the bag of words, gaussian prior: %q", got)
	}
	paper, _ := Preset("embedded-paper")
	paper.K1Warmup, paper.K1WarmupIters, paper.S1End = 5, 100, 0.01
	if got := paper.Method(); !strings.Contains(got, "not the paper's") || !strings.Contains(got, "5 posterior steps for the first 100 iterations") ||
		!strings.Contains(got, "posterior step size from 0.1 to 0.01") {
		t.Errorf("paper chains with a warm-up and a schedule: %q", got)
	}
}
