package reproduce

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lebm/lebm/cmd/lebm/internal/clix"
)

// BudgetFile holds a reproduction's budget (Budget) in its directory.
const BudgetFile = "budget.json"

// How --max-time is shared between the stages (PlanBudget): the evaluations of both latent models get
// EvalShare of it, at most MaxEvalSeconds (the whole test split fits in that at the ptb preset's size);
// of the rest, the real-data LM gets LMShare (its iteration, the decoder's forward and backward pass
// alone, cost 0.27 s at the ptb preset against the latent models' 0.30-0.35 s with their diagnoses, so
// that this share stops it at about 95% of their iterations in a two-hour budget) and the two
// latent models equal parts (the gaussian ablation stops at the EBM prior's iterations; what it leaves
// goes to the next stages). Under a budget each latent model trains at most BudgetIterations (the
// paper's length): the time decides.
const (
	EvalShare        = 0.25
	MaxEvalSeconds   = 600
	LMShare          = 0.25
	BudgetIterations = 40000
	// MinEvalSeconds is the least a latent model's evaluation is given; a --max-time whose evaluation
	// share leaves less is refused (MinBudget).
	MinEvalSeconds = 60
)

// The stages of a budgeted reproduction, in the order they run.
const (
	StageEvalEBM      = "eval-ebm"
	StageEvalGaussian = "eval-gaussian"
)

// BudgetStages are the stages a budget is planned over, in the order they run.
var BudgetStages = []string{StageEBM, StageGaussian, StageLM, StageEvalEBM, StageEvalGaussian}

// MinBudget is the shortest --max-time PlanBudget accepts: each evaluation MinEvalSeconds.
func MinBudget() time.Duration {
	return time.Duration(math.Ceil(2*MinEvalSeconds/EvalShare)) * time.Second
}

// Budget is how a reproduction spends --max-time: the plan, fixed before anything starts and recorded in
// BudgetFile, and what each stage has spent so far over every process that ran it (so that an
// interrupted reproduction, rerun, goes on with the time that was left).
type Budget struct {
	Total float64            `json:"total_s"`
	Plan  map[string]float64 `json:"plan_s"`  // seconds planned per stage
	Spent map[string]float64 `json:"spent_s"` // seconds spent per stage (recorded every few seconds while it runs)

	mu   sync.Mutex
	path string
}

// PlanBudget shares total between BudgetStages (EvalShare, MaxEvalSeconds, LMShare), or refuses a total
// below MinBudget.
func PlanBudget(total time.Duration) (*Budget, error) {
	if total < MinBudget() {
		return nil, fmt.Errorf("--max-time %v is too short: the reproduction needs at least %v (each latent model's test evaluation %d s, "+
			"%.0f%% of the budget, the rest to train)", total, MinBudget(), MinEvalSeconds, 100*EvalShare)
	}
	t := total.Seconds()
	eval := math.Min(EvalShare*t, MaxEvalSeconds)
	rest := t - eval
	lm := LMShare * rest
	latent := (rest - lm) / 2
	return &Budget{Total: t, Spent: map[string]float64{}, Plan: map[string]float64{
		StageEBM: latent, StageGaussian: latent, StageLM: lm, StageEvalEBM: eval / 2, StageEvalGaussian: eval / 2}}, nil
}

// LoadBudget reads the budget of the reproduction in dir when there is one (found false otherwise).
func LoadBudget(dir string) (*Budget, bool, error) {
	var b Budget
	found, err := clix.LoadResult(filepath.Join(dir, BudgetFile), &b)
	if err != nil || !found {
		return nil, found, err
	}
	if b.Spent == nil {
		b.Spent = map[string]float64{}
	}
	for _, s := range BudgetStages {
		if _, ok := b.Plan[s]; !ok {
			return nil, false, fmt.Errorf("%s: no plan for stage %s: not a budget lebm wrote; remove it or choose another --out", filepath.Join(dir, BudgetFile), s)
		}
	}
	b.path = filepath.Join(dir, BudgetFile)
	return &b, true, nil
}

// Attach makes the budget save itself in dir (BudgetFile) and saves it.
func (b *Budget) Attach(dir string) error {
	b.path = filepath.Join(dir, BudgetFile)
	return b.save()
}

// save writes the budget to its file (a copy taken under the lock: a stage's ticker records while the
// stage runs).
func (b *Budget) save() error {
	if b.path == "" {
		return nil
	}
	b.mu.Lock()
	c := &Budget{Total: b.Total, Plan: maps.Clone(b.Plan), Spent: maps.Clone(b.Spent)}
	b.mu.Unlock()
	return clix.SaveResult(b.path, c)
}

// Allowance is what stage may spend: its plan, plus what the stages before it left unspent (or minus
// what they overran), less what it has spent itself; at least 0.
func (b *Budget) Allowance(stage string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	left := 0.0
	for _, s := range BudgetStages {
		left += b.Plan[s] - b.Spent[s]
		if s == stage {
			break
		}
	}
	return time.Duration(math.Max(left, 0) * float64(time.Second))
}

// Left is the budget not yet spent, over all stages.
func (b *Budget) Left() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	spent := 0.0
	for _, s := range b.Spent {
		spent += s
	}
	return time.Duration(math.Max(b.Total-spent, 0) * float64(time.Second))
}

// BudgetTick is how often a running stage's spending is recorded.
const BudgetTick = 10 * time.Second

// Run runs work as stage, adding its wall-clock time to the stage's spending and recording it every
// BudgetTick and when work returns, so that a killed process loses at most BudgetTick of it. A nil
// budget (no --max-time) just runs work.
func (b *Budget) Run(stage string, work func() error) error {
	if b == nil {
		return work()
	}
	start, base := time.Now(), b.spent(stage)
	record := func() error {
		b.mu.Lock()
		b.Spent[stage] = base + time.Since(start).Seconds()
		b.mu.Unlock()
		return b.save()
	}
	done := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(BudgetTick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = record() // the final record reports a failure
			}
		}
	}()
	err := work()
	close(done)
	<-ticked
	if rerr := record(); err == nil {
		err = rerr
	}
	return err
}

func (b *Budget) spent(stage string) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Spent[stage]
}

// Describe is the plan as printed before anything starts and recorded in the table.
func (b *Budget) Describe() string {
	parts := make([]string, len(BudgetStages))
	for i, s := range BudgetStages {
		parts[i] = fmt.Sprintf("%s %s", s, round(b.Plan[s]))
	}
	return fmt.Sprintf("budget %s: %s (a stage's unspent time goes to the next)", round(b.Total), strings.Join(parts, ", "))
}

// round writes seconds as a duration to the second.
func round(s float64) time.Duration { return time.Duration(math.Round(s)) * time.Second }
