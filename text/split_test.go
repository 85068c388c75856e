package text

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/lebm/lebm/internal/engine"
)

// TestSplitGatheredGradient: splitGathered's parts and x's gradient through them equal graph.Split's, for
// two different losses differentiated one after the other in one graph (the records of one gradient must
// not leak into the next), one of which does not use every part.
func TestSplitGatheredGradient(t *testing.T) {
	backend, err := engine.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	const N, T, D = 3, 5, 4
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, N*T*D)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	// loss1 weighs each part's tanh by its index; loss2 uses the parts 1 and 3 only, squared.
	losses := func(parts []*graph.Node) (l1, l2 *graph.Node) {
		for i, p := range parts {
			term := graph.MulScalar(graph.ReduceAllSum(graph.Tanh(p)), float64(i+1))
			if l1 == nil {
				l1 = term
			} else {
				l1 = graph.Add(l1, term)
			}
		}
		return l1, graph.Add(graph.ReduceAllSum(graph.Square(parts[1])), graph.ReduceAllSum(graph.Square(parts[3])))
	}
	exec, err := graph.NewExec(backend, func(x *graph.Node) []*graph.Node {
		var out []*graph.Node
		for _, split := range []func(*graph.Node, int, int) []*graph.Node{graph.Split, splitGathered} {
			parts := split(x, 1, T)
			l1, l2 := losses(parts)
			out = append(out, graph.Concatenate(parts, 1), graph.Gradient(l1, x)[0], graph.Gradient(l2, x)[0])
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec(tensors.FromFlatDataAndDimensions(data, N, T, D))
	if err != nil {
		t.Fatal(err)
	}
	for k, what := range []string{"parts", "gradient of the first loss", "gradient of the second loss"} {
		want, got := tensors.MustCopyFlatData[float32](res[k]), tensors.MustCopyFlatData[float32](res[3+k])
		for i := range want {
			if math.Abs(float64(want[i]-got[i])) > 1e-6 {
				t.Fatalf("%s, element %d: graph.Split %v, splitGathered %v", what, i, want[i], got[i])
			}
		}
	}
}

// TestFittingDecoderIsTheDecoder: a fitting decoder (fused dense layers) gives the plain decoder's
// log p(x|z) and the same gradients with respect to every decoder variable and z.
func TestFittingDecoderIsTheDecoder(t *testing.T) {
	m := tinyModel(t, []string{"a", "b", "c", "d"}, "ebm")
	const N, T = 3, 4
	d := m.Decoder
	inputs := []int32{2, 4, 5, 6, 2, 7, 0, 0, 2, 5, 5, 4}
	targets := []int32{4, 5, 6, 3, 7, 3, 0, 0, 5, 5, 4, 3}
	mask := []float32{1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1}
	rng := rand.New(rand.NewPCG(5, 6))
	z := make([]float32, N*m.Config.ZDim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	vars := d.Variables()
	exec, err := model.NewExec(m.Backend, m.Ctx.Store(), func(_ *model.Scope, in []*graph.Node) []*graph.Node {
		var out []*graph.Node
		for _, dec := range []*Decoder{d, d.Fitting()} {
			lp := dec.LogPXProjected(in[0], dec.InputProjections(in[1]), in[2], in[3])
			nodes := []*graph.Node{in[0]}
			for _, v := range vars {
				nodes = append(nodes, v.NodeValue(in[0].Graph()))
			}
			out = append(out, lp)
			out = append(out, graph.Gradient(graph.ReduceAllSum(graph.Mul(lp, graph.Iota(in[0].Graph(), lp.Shape(), 0))), nodes...)...)
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec(tensors.FromFlatDataAndDimensions(z, N, m.Config.ZDim), tensors.FromFlatDataAndDimensions(inputs, N, T),
		tensors.FromFlatDataAndDimensions(targets, N, T), tensors.FromFlatDataAndDimensions(mask, N, T))
	if err != nil {
		t.Fatal(err)
	}
	half := len(res) / 2
	for k := 0; k < half; k++ {
		want, got := tensors.MustCopyFlatData[float32](res[k]), tensors.MustCopyFlatData[float32](res[half+k])
		for i := range want {
			if math.Abs(float64(want[i]-got[i])) > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("output %d (0: log p, 1: z's gradient, then the variables'), element %d: plain %v, fitting %v", k, i, want[i], got[i])
			}
		}
	}
}
