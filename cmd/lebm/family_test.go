package main

// A third generator family, written as code outside the module would write it against the public
// packages (learn, run, ckpt), registered beside text and image in a test and driven through the
// command line: it is the proof that a family plugs in with no edit outside its own file.
//
// The linear-Gaussian family: x = z W + noise eps, x in R^3, z in R^2, eps ~ N(0, I):
//
//	log p(x|z) = -||x - z W||^2 / (2 noise^2) - D/2 log(2 pi noise^2),   W [d, D]
//
// With the gaussian prior its marginal is N(0, W^T W + noise^2 I) in closed form, which the test
// checks `lebm eval` and `lebm sample` against. Its data are embedded: points drawn from a fixed W.

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/ckpt"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
	"github.com/lebm/lebm/run"
	"github.com/spf13/pflag"
)

const (
	lgName          = "lingauss"
	lgZ, lgX        = 2, 3    // latent and data dimensions
	lgTrain, lgTest = 192, 64 // embedded points
)

// lgTrueW is the W the embedded points are drawn from ([d, D]), with noise 0.5.
var lgTrueW = []float32{0.8, -0.3, 0.5, 0.2, 0.6, -0.7}

// lgData returns the embedded points of a split ("train" or "test"), fixed by the split.
func lgData(split string) ([][]float32, error) {
	n, stream := lgTrain, uint64(1)
	switch split {
	case "train":
	case "test":
		n, stream = lgTest, 2
	default:
		return nil, fmt.Errorf("the %s family has splits train and test, not %q", lgName, split)
	}
	rng := rand.New(rand.NewPCG(77, stream))
	out := make([][]float32, n)
	for i := range out {
		z := []float64{rng.NormFloat64(), rng.NormFloat64()}
		out[i] = make([]float32, lgX)
		for k := range out[i] {
			out[i][k] = float32(z[0]*float64(lgTrueW[k]) + z[1]*float64(lgTrueW[lgX+k]) + 0.5*rng.NormFloat64())
		}
	}
	return out, nil
}

// lgRows lays out points as the graph input x [n, D].
func lgRows(points [][]float32) *tensors.Tensor {
	flat := make([]float32, 0, len(points)*lgX)
	for _, p := range points {
		flat = append(flat, p...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(points), lgX)
}

// lgConfig is the family's hyperparameters: the shared ones and the likelihood's noise.
type lgConfig struct {
	learn.Config
	Noise float64 `json:"noise"`
}

func (c *lgConfig) Learn() *learn.Config { return &c.Config }
func (c *lgConfig) RunName() string      { return lgName }
func (c *lgConfig) Validate() error {
	if !(c.Noise > 0) {
		return fmt.Errorf("--lg-noise must be positive, got %v", c.Noise)
	}
	return c.Config.Validate()
}

// lgRegistration is the family at the product seam (run.Family).
type lgRegistration struct{}

func (lgRegistration) Name() string      { return lgName }
func (lgRegistration) Summary() string   { return "linear-Gaussian test family" }
func (lgRegistration) Presets() []string { return []string{"default"} }

func (lgRegistration) TrainFlags(fs *pflag.FlagSet) run.TrainFlags {
	return lgFlags{run.BindKnobs(fs, []run.Knob[lgConfig]{
		{Name: "lg-noise", Usage: "lingauss: standard deviation of the likelihood", Field: func(c *lgConfig) any { return &c.Noise }}})}
}

func (lgRegistration) Open(backend compute.Backend, dir string) (run.Model, error) {
	var info lgInfo
	var state learn.State
	if err := ckpt.ReadRun(dir, &info, &state); err != nil {
		return nil, err
	}
	if err := ckpt.CheckFamily(dir, info.Family, lgName); err != nil {
		return nil, err
	}
	m, err := newLGModel(backend, info.Config)
	if err != nil {
		return nil, err
	}
	m.state = state
	return m, ckpt.LoadVariables(dir, m.Ctx, m.Legacy())
}

// lgInfo is what the checkpoint's hparams.json records.
type lgInfo struct {
	Family string   `json:"family"`
	Config lgConfig `json:"config"`
}

type lgFlags struct{ knobs *run.Knobs[lgConfig] }

func (f lgFlags) Names() []string            { return f.knobs.Names() }
func (f lgFlags) Resumable(name string) bool { return f.knobs.Resumable(name) }

func (f lgFlags) Configure(preset, data string, core func(*learn.Config), changed func(string) bool) (run.Config, error) {
	if preset != "" && preset != "default" {
		return nil, fmt.Errorf("the %s family has the preset default, not %q", lgName, preset)
	}
	if data != "" {
		return nil, fmt.Errorf("the %s family trains on its embedded points only (--data %s)", lgName, data)
	}
	cfg := lgConfig{Noise: 0.5, Config: learn.Config{ZDim: lgZ, Prior: prior.EBM, EBMWidth: 16, K0: 20, S0: 0.4, K1: 20, S1: 0.2,
		LRGen: 0.01, LRPrior: 0.01, Beta1: learn.DefaultBeta1, Beta2: learn.DefaultBeta2, Batch: 16, Iterations: 40, Seed: 1,
		SaveEvery: 10, LogEvery: 1}}
	core(&cfg.Config)
	f.knobs.Apply(&cfg, changed)
	return &cfg, cfg.Validate()
}

func (f lgFlags) New(backend compute.Backend, cfg run.Config, _ run.Input) (run.Session, error) {
	m, err := newLGModel(backend, *cfg.(*lgConfig))
	if err != nil {
		return nil, err
	}
	return m.session()
}

func (f lgFlags) Resume(opened run.Model, core func(*learn.Config), _ run.Input) (run.Session, error) {
	m := opened.(*lgModel)
	core(&m.cfg.Config)
	return m.session()
}

// lgModel is the family's model on the shared core; it is also the family's learn.Family.
type lgModel struct {
	cfg   lgConfig
	w     *model.Variable // [d, D]
	state learn.State     // of an opened checkpoint
	*learn.Core
}

func newLGModel(backend compute.Backend, cfg lgConfig) (*lgModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	scope := model.NewStore().RootScope()
	rng := rand.New(rand.NewPCG(cfg.Seed, learn.GeneratorInitStream))
	w0 := make([]float32, lgZ*lgX)
	for i := range w0 {
		w0[i] = float32(0.3 * rng.NormFloat64())
	}
	m := &lgModel{cfg: cfg, w: scope.At("generator").VariableWithValue("w", tensors.FromFlatDataAndDimensions(w0, lgZ, lgX))}
	var err error
	m.Core, err = learn.NewCore(backend, scope, &m.cfg.Config, lgGenerator{m}, nil)
	return m, err
}

// lgGenerator is the model as the core's learn.Family: data = (x [N, D]).
type lgGenerator struct{ m *lgModel }

func (g lgGenerator) GeneratorVariables() []*model.Variable { return []*model.Variable{g.m.w} }
func (g lgGenerator) NumData() int                          { return 1 }
func (g lgGenerator) Likelihood(data []*graph.Node) func(z *graph.Node) *graph.Node {
	x, s := data[0], g.m.cfg.Noise
	return func(z *graph.Node) *graph.Node {
		r := graph.Sub(x, graph.MatMul(z, g.m.w.NodeValue(z.Graph())))
		return graph.AddScalar(graph.MulScalar(graph.ReduceSum(graph.Square(r), -1), -1/(2*s*s)), -lgX/2.0*math.Log(2*math.Pi*s*s))
	}
}

func (m *lgModel) Hyperparameters() run.Config { return &m.cfg }
func (m *lgModel) String() string {
	return fmt.Sprintf("linear-Gaussian model: z %d, x %d, prior %s; %s", lgZ, lgX, m.cfg.Prior, m.Chains())
}

// W is the generator's current matrix, row-major [d, D].
func (m *lgModel) W() []float32 {
	v, err := m.w.Value()
	if err != nil {
		panic(err)
	}
	return tensors.MustCopyFlatData[float32](v)
}

// session readies the model to train on the embedded training points (from its opened state, if any).
func (m *lgModel) session() (*lgSession, error) {
	data, _ := lgData("train")
	tr, err := learn.NewTrainer(m.Core, len(data), &m.state)
	if err != nil {
		return nil, err
	}
	return &lgSession{m: m, tr: tr, data: data}, nil
}

// lgSession is the model being trained (run.Session): batches in a fixed order, epoch after epoch.
type lgSession struct {
	m    *lgModel
	tr   *learn.Trainer
	data [][]float32
	log  io.Writer
}

func (s *lgSession) Model() run.Model        { return s.m }
func (s *lgSession) Trainer() *learn.Trainer { return s.tr }
func (s *lgSession) Describe() string        { return s.m.String() }
func (s *lgSession) SetLog(w io.Writer)      { s.log = w }

func (s *lgSession) Step() (string, error) {
	st, b := &s.tr.State, s.m.cfg.Batch
	epoch, pos := st.Epoch, st.Pos
	if pos+b > len(s.data) {
		epoch, pos = epoch+1, 0
	}
	rows := make([]int, b)
	points := make([][]float32, b)
	for i := range rows {
		rows[i] = pos + i
		points[i] = s.data[rows[i]]
	}
	step, err := s.tr.Step(learn.Batch{Data: []any{lgRows(points)}, Rows: rows, Size: b}, time.Now())
	if err != nil {
		return "", err
	}
	st.Epoch, st.Pos = epoch, pos+b
	rec := step.Record()
	return fmt.Sprintf("prior %+.3f", rec.PriorLoss), learn.WriteLog(s.log, step.Iteration, s.m.cfg.LogEvery, rec)
}

func (s *lgSession) Save(runDir string) (string, error) {
	state, err := s.tr.Snapshot(s.tr.State.Epoch, s.tr.State.Pos)
	if err != nil {
		return "", err
	}
	files, err := s.tr.Files()
	if err != nil {
		return "", err
	}
	return ckpt.SaveRun(runDir, state.Step, s.m.Ctx, lgInfo{Family: lgName, Config: s.m.cfg}, state, files, 3)
}

// lgTrainReport is the summary of `lebm train --family lingauss`, with the test NLL unless skipped.
type lgTrainReport struct {
	run.Summary
	Test *lgEvalReport `json:"test,omitempty"`
}

func (r *lgTrainReport) Format() string { return "checkpoint: " + r.Checkpoint + "\n" }

func (s *lgSession) Finish(sum run.Summary, skip string) (run.Report, error) {
	rep := &lgTrainReport{Summary: sum}
	if skip != "" {
		return rep, nil
	}
	est := learn.Estimator{Chains: 8, K1: s.m.cfg.K1, S1: s.m.cfg.S1, ImportanceSamples: 64, SigmaFloor: learn.DefaultSigmaFloor,
		RowsPerCall: learn.DefaultRowsPerCall}
	var err error
	rep.Test, err = s.m.evaluate(run.EvalRequest{Split: "test", Estimator: est, LogZSamples: 10000, Seed: 1})
	return rep, err
}

// lgEvalReport is `lebm eval` of the family: the importance-sampled NLL of a split.
type lgEvalReport struct {
	Split string          `json:"split"`
	NLL   float64         `json:"nll"`    // mean -log p(x) over the split's points
	SE    float64         `json:"nll_se"` // its standard error over points
	MCSE  float64         `json:"mc_se"`  // its Monte Carlo error: sqrt(sum_i se_i^2) / n over the points' estimates
	LogZ  prior.LogZ      `json:"log_z"`
	Est   learn.Estimator `json:"estimator"`
}

func (r *lgEvalReport) Format() string {
	return fmt.Sprintf("%s: NLL %.4f ± %.4f (log Z %.4f)\n", r.Split, r.NLL, r.SE, r.LogZ.Value)
}

// lgSet is a split as the estimator sees it (one graph shape).
type lgSet [][]float32

func (s lgSet) Groups(idx []int) [][]int {
	pos := make([]int, len(idx))
	for i := range pos {
		pos[i] = i
	}
	return [][]int{pos}
}

func (s lgSet) Rows(examples []int, P, size int) []any {
	points := make([][]float32, size)
	for r := range points {
		points[r] = s[examples[min(r/P, len(examples)-1)]]
	}
	return []any{lgRows(points)}
}

// Evaluate makes the model a run.Evaluator: log Z, then q(z|x) fitted to posterior chains and the
// importance-sampled log p(x) of every point of the split (learn's estimator).
func (m *lgModel) Evaluate(req run.EvalRequest) (run.Report, error) {
	return m.evaluate(req)
}

func (m *lgModel) evaluate(req run.EvalRequest) (*lgEvalReport, error) {
	points, err := lgData(req.Split)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(req.Seed, 3))
	logZ, err := m.EstimateLogZ(req.LogZSamples, rng)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(points))
	for i := range idx {
		idx[i] = i
	}
	fit, err := m.FitAndScore(lgSet(points), idx, req.Estimator, logZ.Value, rng, true, nil, func(int) {})
	if err != nil {
		return nil, err
	}
	nll := make([]float64, len(points))
	var mc float64
	for i, lp := range fit.LogPX {
		nll[i], mc = -lp, mc+fit.LogPXSE[i]*fit.LogPXSE[i]
	}
	mean, se := learn.MeanSE(nll)
	return &lgEvalReport{Split: req.Split, NLL: mean, SE: se, MCSE: math.Sqrt(mc) / float64(len(points)), LogZ: logZ, Est: req.Estimator}, nil
}

// lgSamples is `lebm sample` of the family: z from the prior chain and the generator's mean z W.
type lgSamples struct {
	Z [][]float32 `json:"z"`
	X [][]float32 `json:"x"`
}

func (r *lgSamples) Format() string {
	var b strings.Builder
	for _, x := range r.X {
		fmt.Fprintln(&b, x)
	}
	return b.String()
}

// Sample makes the model a run.Sampler.
func (m *lgModel) Sample(req run.SampleRequest) (run.Report, error) {
	z, err := m.SamplePrior(req.N, req.K0, req.S0, rand.New(rand.NewPCG(req.Seed, 4)), -1)
	if err != nil {
		return nil, err
	}
	w, rep := m.W(), &lgSamples{}
	for i := 0; i < req.N; i++ {
		zi, x := z[i*lgZ:(i+1)*lgZ], make([]float32, lgX)
		for k := range x {
			x[k] = zi[0]*w[k] + zi[1]*w[lgX+k]
		}
		rep.Z, rep.X = append(rep.Z, zi), append(rep.X, x)
	}
	return rep, nil
}
