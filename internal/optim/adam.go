// Package optim implements Adam as graph code over an explicit list of variables.
//
// GoMLX's optimizers differentiate every trainable variable of the graph, whatever the scope; lebm's
// learning iteration updates the generator and the prior with two Adams of different learning rates (and
// clips only the generator's gradients), so each Adam here owns its variable list and its state.
package optim

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Adam hyperparameters. The paper's learning rule uses betas (0.5, 0.999).
type Adam struct {
	Name         string
	LR           float64
	Beta1, Beta2 float64
	Epsilon      float64
	ClipNorm     float64 // global gradient-norm clip; 0 disables
	vars         []*model.Variable
	m, v         []*model.Variable
	step         *model.Variable
}

// NewAdam creates the optimizer state (first and second moments, step count) for vars in
// scope.At("optim").In(name), so that it is saved and restored with the model.
func NewAdam(scope *model.Scope, name string, vars []*model.Variable, lr, beta1, beta2, clip float64) *Adam {
	a := &Adam{Name: name, LR: lr, Beta1: beta1, Beta2: beta2, Epsilon: 1e-8, ClipNorm: clip, vars: vars}
	c := scope.At("optim").At("%s", name)
	for i, v := range vars {
		dims := v.Shape().Dimensions
		n := v.Shape().Size()
		a.m = append(a.m, c.VariableWithValue(fmt.Sprintf("m%d", i), tensors.FromFlatDataAndDimensions(make([]float32, n), dims...)))
		a.v = append(a.v, c.VariableWithValue(fmt.Sprintf("v%d", i), tensors.FromFlatDataAndDimensions(make([]float32, n), dims...)))
	}
	a.step = c.VariableWithValue("step", float32(0))
	return a
}

// Minimize adds to loss's graph one Adam step on the optimizer's variables and returns the global norm
// of the gradient before clipping:
//
//	g <- g * min(1, clip / ||g||)
//	m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//	w <- w - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
func (a *Adam) Minimize(loss *graph.Node) *graph.Node {
	g := loss.Graph()
	if len(a.vars) == 0 {
		return graph.ScalarZero(g, loss.DType())
	}
	values := make([]*graph.Node, len(a.vars))
	for i, v := range a.vars {
		values[i] = v.NodeValue(g)
	}
	grads := graph.Gradient(loss, values...)
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
	scale := graph.OnesLike(norm)
	if a.ClipNorm > 0 {
		scale = graph.Min(scale, graph.Div(graph.Scalar(g, norm.DType(), a.ClipNorm), graph.Add(norm, graph.Scalar(g, norm.DType(), 1e-12))))
	}
	t := graph.AddScalar(a.step.NodeValue(g), 1)
	a.step.SetNodeValue(t)
	b1t := graph.Pow(graph.Scalar(g, t.DType(), a.Beta1), t)
	b2t := graph.Pow(graph.Scalar(g, t.DType(), a.Beta2), t)
	lrT := graph.MulScalar(graph.Div(graph.Sqrt(graph.OneMinus(b2t)), graph.OneMinus(b1t)), a.LR)
	for i, v := range a.vars {
		gr := graph.Mul(grads[i], scale)
		m := graph.Add(graph.MulScalar(a.m[i].NodeValue(g), a.Beta1), graph.MulScalar(gr, 1-a.Beta1))
		vv := graph.Add(graph.MulScalar(a.v[i].NodeValue(g), a.Beta2), graph.MulScalar(graph.Square(gr), 1-a.Beta2))
		a.m[i].SetNodeValue(m)
		a.v[i].SetNodeValue(vv)
		upd := graph.Mul(lrT, graph.Div(m, graph.AddScalar(graph.Sqrt(vv), a.Epsilon)))
		v.SetNodeValue(graph.Sub(values[i], upd))
	}
	return norm
}
