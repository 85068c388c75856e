package optim

import (
	"fmt"
	"path"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/lebm/lebm/ckpt"
)

// Epsilon is Adam's epsilon, added to sqrt of the bias-corrected second moment (as in PyTorch).
const Epsilon = 1e-8

// Adam is one part's optimizer:
//
//	g <- g * min(1, clip / ||g||)            (clip > 0; ||g|| over all of the part's gradients)
//	m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//	w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
type Adam struct {
	Name     string
	LR       float64
	ClipNorm float64 // global gradient-norm clip; 0 disables
	scope    *model.Scope
	vars     []*model.Variable
	opt      withGradients
}

// The names GoMLX's Adam gives its state (ml/train/optimizer/adam.go), written once for NewAdam and
// Legacy: the moments of v under /<stateScope>/<v's scope>/, the step counter in the part's scope.
func stateScope(name string) string { return "adam_" + name }

func momentPath(name string, v *model.Variable, moment string) string {
	return path.Join("/", stateScope(name), v.Scope(), v.Name()+moment)
}

const firstMoment, secondMoment = "_1st_moment", "_2nd_moment"

func (a *Adam) stepPath() string { return path.Join(a.scope.Scope(), stateScope(a.Name), "step") }

// withGradients is the part of GoMLX's Adam used here (train.OptimizerWithGradients): an update from
// gradients computed (and clipped) by the caller, in the order of the scope's trainable variables.
type withGradients interface {
	UpdateGraphWithGradients(scope *model.Scope, grads []*graph.Node, lossDType dtypes.DType)
}

// NewAdam creates the optimizer named name for vars, which must be exactly the trainable variables of one
// scope (their common scope), and its state. The state lives under /adam_<name>/ (moments, named after
// the variables' paths) and in the part's scope (GoMLX's step counter and learning rate).
func NewAdam(store *model.Store, name string, vars []*model.Variable, lr, beta1, beta2, clip float64) (*Adam, error) {
	if len(vars) == 0 { // e.g. the gaussian prior: nothing to train
		return &Adam{Name: name, LR: lr, ClipNorm: clip}, nil
	}
	dir := vars[0].Scope()
	for _, v := range vars[1:] {
		for !isUnder(v.Scope(), dir) {
			dir = path.Dir(dir)
		}
	}
	scope := store.Scope(dir)
	var inScope []string
	for v := range scope.IterVariables() {
		if v.Trainable {
			inScope = append(inScope, v.Path())
		}
	}
	given := paths(vars)
	slices.Sort(inScope)
	slices.Sort(given)
	if !slices.Equal(inScope, given) {
		return nil, fmt.Errorf("optimizer %q: the trainable variables of scope %s are %v, not the given %v", name, dir, inScope, given)
	}
	a := &Adam{Name: name, LR: lr, ClipNorm: clip, scope: scope, vars: vars,
		opt: optimizer.Adam().Scope(stateScope(name)).LearningRate(lr).Betas(beta1, beta2).Epsilon(Epsilon).DType(dtypes.Float32).Done().(withGradients)}
	// The state GoMLX's Adam would create at the first graph, under the same names (TestStateIsGoMLXs).
	state := func(fullPath string, value *tensors.Tensor) error {
		v, err := store.CreateVariable(fullPath, value)
		if err == nil {
			v.SetTrainable(false)
		}
		return err
	}
	for _, v := range vars {
		for _, moment := range []string{firstMoment, secondMoment} {
			if err := state(momentPath(name, v, moment), tensors.FromShape(shapes.Make(dtypes.Float32, v.Shape().Dimensions...))); err != nil {
				return nil, err
			}
		}
	}
	if err := state(a.stepPath(), tensors.FromScalar(float32(0))); err != nil {
		return nil, err
	}
	optimizer.LearningRateVarWithValue(scope, dtypes.Float32, lr)
	optimizer.GetGlobalStepVar(store)
	return a, nil
}

func paths(vars []*model.Variable) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Path()
	}
	return out
}

// isUnder reports whether scope p is dir or inside it.
func isUnder(p, dir string) bool {
	return p == dir || dir == "/" || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}

// Minimize adds to loss's graph one Adam step on the optimizer's variables and returns the global norm
// of the gradient before clipping.
func (a *Adam) Minimize(loss *graph.Node) *graph.Node {
	return Minimize(loss, a)[0]
}

// Minimize adds to loss's graph one step of each optimizer, every one from a single gradient of loss
// (one backward pass, where a Minimize per optimizer would run one each), and returns each one's global
// gradient norm before clipping. The optimizers' variables must be disjoint.
func Minimize(loss *graph.Node, adams ...*Adam) []*graph.Node {
	g := loss.Graph()
	var nodes []*graph.Node
	counts := make([]int, len(adams))
	for i, a := range adams {
		for _, n := range a.gradientNodes(g) {
			nodes = append(nodes, n)
			counts[i]++
		}
	}
	var grads []*graph.Node
	if len(nodes) > 0 {
		grads = graph.Gradient(loss, nodes...)
	}
	norms := make([]*graph.Node, len(adams))
	for i, a := range adams {
		norms[i] = a.step(loss, grads[:counts[i]])
		grads = grads[counts[i]:]
	}
	return norms
}

// gradientNodes are the values in g of the optimizer's variables, in the order GoMLX's Adam takes their
// gradients (the scope's trainable variables that g uses); it panics when those are not its variables.
func (a *Adam) gradientNodes(g *graph.Graph) []*graph.Node {
	if len(a.vars) == 0 {
		return nil
	}
	var nodes []*graph.Node
	var used []string
	for v := range a.scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			nodes = append(nodes, v.NodeValue(g))
			used = append(used, v.Path())
		}
	}
	if len(nodes) != len(a.vars) {
		panic(fmt.Sprintf("optimizer %q: its loss's graph uses the trainable variables %v of scope %s, not its %d variables %v",
			a.Name, used, a.scope.Scope(), len(a.vars), paths(a.vars)))
	}
	return nodes
}

// step clips grads (gradientNodes' order) to the optimizer's global norm and adds its Adam update,
// returning the norm before clipping (0 for an optimizer with nothing to train).
func (a *Adam) step(loss *graph.Node, grads []*graph.Node) *graph.Node {
	if len(a.vars) == 0 {
		return graph.ScalarZero(loss.Graph(), loss.DType())
	}
	var sq *graph.Node
	for _, gr := range grads {
		s := graph.ReduceAllSum(graph.Square(gr))
		if sq == nil {
			sq = s
		} else {
			sq = graph.Add(sq, s)
		}
	}
	norm := graph.Sqrt(sq)
	if a.ClipNorm > 0 {
		g := loss.Graph()
		scale := graph.Min(graph.OnesLike(norm), graph.Div(graph.Scalar(g, norm.DType(), a.ClipNorm), graph.Add(norm, graph.Scalar(g, norm.DType(), 1e-12))))
		for i := range grads {
			grads[i] = graph.Mul(grads[i], scale)
		}
	}
	a.opt.UpdateGraphWithGradients(a.scope, grads, loss.DType())
	return norm
}

// Legacy maps the state of lebm's own Adam (before the move to GoMLX v0.28.2) onto these optimizers:
// /optim/<name>/m<i>, v<i> (the raw first and second moments of the i-th variable of the list, in the
// order the model passes them, unchanged since) and step (a float32 count) become GoMLX's moments and
// step counter; the learning rate and the global step counter are absent from such files. The moments and
// t mean the same in both; only epsilon's place differs (it was added to sqrt(v), the bias correction
// folded into the learning rate): the step changes by a relative eps / sqrt(v) at most.
func Legacy(adams ...*Adam) ckpt.Legacy {
	l := ckpt.Legacy{Renames: map[string]string{}, Absent: []string{"/" + optimizer.GlobalStepVariableName}}
	for _, a := range adams {
		if a == nil {
			continue
		}
		old := path.Join(ckpt.LegacyOptimScope, a.Name)
		if len(a.vars) == 0 { // lebm's old Adam kept a step count even with nothing to train
			l.Dropped = append(l.Dropped, path.Join(old, "step"))
			continue
		}
		for i, v := range a.vars {
			l.Renames[path.Join(old, fmt.Sprintf("m%d", i))] = momentPath(a.Name, v, firstMoment)
			l.Renames[path.Join(old, fmt.Sprintf("v%d", i))] = momentPath(a.Name, v, secondMoment)
		}
		l.Renames[path.Join(old, "step")] = a.stepPath()
		l.Absent = append(l.Absent, path.Join(a.scope.Scope(), optimizer.Scope, optimizer.ParamLearningRate))
	}
	return l
}
