package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/cmd/lebm/cli"
	"github.com/lebm/lebm/image"
	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/run"
	"github.com/lebm/lebm/text"
)

// lebm runs the command line of reg with args and returns its stdout.
func lebm(t *testing.T, reg *run.Registry, args ...string) (string, error) {
	t.Helper()
	root := cli.NewRootCmd(reg)
	var out, errs bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errs)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		t.Logf("lebm %s: %v\n%s", strings.Join(args, " "), err, errs.String())
	}
	return out.String(), err
}

// mustJSON runs the command and decodes its JSON output into v.
func mustJSON(t *testing.T, reg *run.Registry, v any, args ...string) {
	t.Helper()
	out, err := lebm(t, reg, args...)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("lebm %s: %v in %q", strings.Join(args, " "), err, out)
	}
}

func thirdFamilyRegistry(t *testing.T) *run.Registry {
	reg, err := run.NewRegistry(text.Registration{}, image.Registration{}, lgRegistration{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestThirdFamilyTrainsAndResumes: the linear-Gaussian family, registered beside text and image, is
// trained by `lebm train --family lingauss` (the run lifecycle: checkpoints, log, final evaluation), and a
// run stopped at 25 iterations and resumed to 40 ends with bitwise the variables and the log values of
// an uninterrupted 40-iteration run.
func TestThirdFamilyTrainsAndResumes(t *testing.T) {
	reg, dir := thirdFamilyRegistry(t), t.TempDir()
	whole, part := filepath.Join(dir, "whole"), filepath.Join(dir, "part")
	var sum lgTrainReport
	mustJSON(t, reg, &sum, "train", "--family", lgName, "--out", whole, "--quiet", "--json")
	if sum.Iterations != 40 || filepath.Base(sum.Checkpoint) != "step-00000040" || sum.Test == nil || !(sum.Test.SE > 0) {
		t.Fatalf("summary %+v", sum)
	}
	sum = lgTrainReport{}
	mustJSON(t, reg, &sum, "train", "--family", lgName, "--out", part, "--iterations", "25", "--quiet", "--json", "--no-eval")
	if sum.Iterations != 25 || sum.Test != nil {
		t.Fatalf("summary of the first part %+v", sum)
	}
	sum = lgTrainReport{}
	mustJSON(t, reg, &sum, "train", "--resume", part, "--iterations", "40", "--quiet", "--json", "--no-eval")
	if filepath.Base(sum.Checkpoint) != "step-00000040" {
		t.Fatalf("resumed summary %+v", sum)
	}
	a, err := os.ReadFile(filepath.Join(whole, "step-00000040", ckpt.VariablesFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(part, "step-00000040", ckpt.VariablesFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the resumed run's variables differ from the uninterrupted run's")
	}
	logA, errA := run.ReadJSONLines[learn.Record](filepath.Join(whole, run.LogFile))
	logB, errB := run.ReadJSONLines[learn.Record](filepath.Join(part, run.LogFile))
	if errA != nil || errB != nil || len(logA) != 40 || len(logB) != 40 {
		t.Fatalf("logs: %d records (%v), %d records (%v)", len(logA), errA, len(logB), errB)
	}
	for i := range logA {
		ra, rb := logA[i], logB[i]
		ra.IterationS, ra.HostS, rb.IterationS, rb.HostS = 0, 0, 0, 0
		if ra != rb {
			t.Fatalf("log record %d: %+v uninterrupted, %+v resumed", i, ra, rb)
		}
	}
	if logA[39].PriorLoss == logA[0].PriorLoss {
		t.Error("the prior did not learn")
	}
}

// TestThirdFamilyEvaluatesAndSamples: `lebm eval` and `lebm sample` serve the family through its
// capabilities. With the gaussian prior the marginal p(x) = N(0, W^T W + noise^2 I) is exact: the
// importance-sampled NLL of the test points matches it within 4 of the estimator's own Monte Carlo
// standard errors (plus 0.01 nats for the log's downward bias), and the sampled z W have covariance W^T W within
// 4 standard errors per entry. A command the family has no capability for says so.
func TestThirdFamilyEvaluatesAndSamples(t *testing.T) {
	reg, dir := thirdFamilyRegistry(t), t.TempDir()
	out := filepath.Join(dir, "gauss")
	var sum lgTrainReport
	mustJSON(t, reg, &sum, "train", "--family", lgName, "--prior", "gaussian", "--iterations", "30", "--out", out, "--quiet", "--json", "--no-eval")

	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	opened, err := reg.Open(backend, out)
	if err != nil {
		t.Fatal(err)
	}
	m := opened.Model.(*lgModel)
	w := m.W()
	cov := marginalCov(w, m.cfg.Noise)

	var ev lgEvalReport
	mustJSON(t, reg, &ev, "eval", out, "--json", "--k1", "200", "--s1", "0.1", "--chains", "16", "--samples", "1024", "--logz-samples", "1000")
	points, _ := lgData("test")
	var exact float64
	for _, x := range points {
		exact -= gaussLogPDF(cov, x) / float64(len(points))
	}
	if ev.Est.K1 != 200 || ev.Est.S1 != 0.1 || ev.LogZ.Value != 0 {
		t.Errorf("evaluation settings %+v, log Z %+v", ev.Est, ev.LogZ)
	}
	if math.Abs(ev.NLL-exact) > 4*ev.MCSE+0.01 || !(ev.MCSE < 0.02) {
		t.Errorf("NLL %.4f (Monte Carlo s.e. %.4f), closed form %.4f", ev.NLL, ev.MCSE, exact)
	} else {
		t.Logf("NLL %.4f (Monte Carlo s.e. %.4f), closed form %.4f", ev.NLL, ev.MCSE, exact)
	}

	const n = 4000
	var s lgSamples
	mustJSON(t, reg, &s, "sample", out, "--json", "-n", "4000", "--seed", "5")
	if len(s.X) != n {
		t.Fatalf("%d samples", len(s.X))
	}
	for i := 0; i < lgX; i++ {
		for j := 0; j < lgX; j++ {
			want := cov[i][j]
			if i == j {
				want -= m.cfg.Noise * m.cfg.Noise // the generator's mean z W: covariance W^T W
			}
			var got float64
			for _, x := range s.X {
				got += float64(x[i]) * float64(x[j]) / n
			}
			wii, wjj := cov[i][i]-m.cfg.Noise*m.cfg.Noise, cov[j][j]-m.cfg.Noise*m.cfg.Noise
			if se := math.Sqrt((want*want + wii*wjj) / n); math.Abs(got-want) > 4*se {
				t.Errorf("sample covariance [%d][%d] %.4f, W^T W %.4f ± %.4f", i, j, got, want, 4*se)
			}
		}
	}

	if _, err := lebm(t, reg, "reconstruct", out); err == nil || !strings.Contains(err.Error(), "lingauss model, which cannot reconstruct") {
		t.Errorf("reconstruct of a family without the capability: %v", err)
	}
	if _, err := lebm(t, reg, "train", "--family", lgName, "--embed", "64", "--out", filepath.Join(dir, "x")); err == nil ||
		!strings.Contains(err.Error(), "--embed is not a flag of the lingauss family") {
		t.Errorf("a text flag with --family lingauss: %v", err)
	}
	if _, err := lebm(t, reg, "train", "--family", "text", "--lg-noise", "1", "--out", filepath.Join(dir, "y")); err == nil ||
		!strings.Contains(err.Error(), "--lg-noise is not a flag of the text family") {
		t.Errorf("the family's flag with --family text: %v", err)
	}
}

// marginalCov is W^T W + noise^2 I for W [d, D] row-major.
func marginalCov(w []float32, noise float64) [lgX][lgX]float64 {
	var c [lgX][lgX]float64
	for k := 0; k < lgX; k++ {
		for l := 0; l < lgX; l++ {
			for i := 0; i < lgZ; i++ {
				c[k][l] += float64(w[i*lgX+k]) * float64(w[i*lgX+l])
			}
		}
		c[k][k] += noise * noise
	}
	return c
}

// gaussLogPDF is log N(x; 0, C) by the Cholesky factor C = L L^T.
func gaussLogPDF(c [lgX][lgX]float64, x []float32) float64 {
	var L [lgX][lgX]float64
	for i := 0; i < lgX; i++ {
		for j := 0; j <= i; j++ {
			s := c[i][j]
			for k := 0; k < j; k++ {
				s -= L[i][k] * L[j][k]
			}
			if i == j {
				L[i][i] = math.Sqrt(s)
			} else {
				L[i][j] = s / L[j][j]
			}
		}
	}
	var y [lgX]float64 // L y = x
	logp := -lgX / 2.0 * math.Log(2*math.Pi)
	for i := 0; i < lgX; i++ {
		s := float64(x[i])
		for k := 0; k < i; k++ {
			s -= L[i][k] * y[k]
		}
		y[i] = s / L[i][i]
		logp -= y[i]*y[i]/2 + math.Log(L[i][i])
	}
	return logp
}

// TestExecuteExitStatus: the command line's exit status is 0 on success and 1 on an error, which it
// prints on stderr (the signal statuses are tested with the training loop, run.Interrupted).
func TestExecuteExitStatus(t *testing.T) {
	var out, errs bytes.Buffer
	if code := cli.Execute(cli.Standard(), []string{"--help"}, &out, &errs); code != 0 || !strings.Contains(out.String(), "lebm trains") {
		t.Errorf("--help: status %d, output %q", code, out.String())
	}
	errs.Reset()
	if code := cli.Execute(cli.Standard(), []string{"sample", filepath.Join(t.TempDir(), "none")}, &out, &errs); code != 1 ||
		!strings.HasPrefix(errs.String(), "error: ") {
		t.Errorf("a missing checkpoint: status %d, stderr %q", code, errs.String())
	}
}
