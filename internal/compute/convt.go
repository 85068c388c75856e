package compute

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// ConvTranspose2D is the 2-D transposed convolution (PyTorch's ConvTranspose2d, dilation 1, no output
// padding), channels last:
//
//	x [N, H, W, Cin], w [Cin, K, K, Cout] -> y [N, Ho, Wo, Cout],  Ho = (H-1) s - 2p + K (Wo likewise)
//	y[n, oh, ow, c] = sum_{i, kh, j, kw, ci} x[n, i, j, ci] w[ci, kh, kw, c] [oh = i s - p + kh] [ow = j s - p + kw]
//
// It is written with DotGeneral only, so that it runs, and is differentiated, on every backend:
// SimpleGo v0.26.0 crashes on ConvTranspose, and differentiating its forward convolution with respect to
// the input needs Reverse, which it lacks; rewriting the transposed convolution as a zero-inserted
// convolution needs Pad, which it also lacks. Instead:
//
//  1. cols[n, i, j, kh, kw, c] = sum_ci x[n, i, j, ci] w[ci, kh, kw, c]   (one DotGeneral: the work)
//  2. overlap-add along each spatial axis with a constant 0/1 placement tensor
//     A[o, i, k] = [o = i s - p + k] (shape [Ho, H, K]; positions outside [0, Ho) are cropped):
//     y = sum_{i,kh} A_h[oh, i, kh] sum_{j,kw} A_w[ow, j, kw] cols[n, i, j, kh, kw, c]   (two DotGenerals)
//
// The placement tensors are tiny (Ho x H x K) and the overlap-add costs about K Ho / (Cin K) of step 1.
// Gradients (with respect to x and w) are those of DotGeneral and Transpose: see dotGeneralVJP.
func ConvTranspose2D(x, w *graph.Node, stride, pad int) *graph.Node {
	if x.Rank() != 4 || w.Rank() != 4 {
		panic(fmt.Sprintf("ConvTranspose2D: x %s and w %s must have rank 4 ([N,H,W,Cin] and [Cin,K,K,Cout])", x.Shape(), w.Shape()))
	}
	H, W, cin := x.Shape().Dimensions[1], x.Shape().Dimensions[2], x.Shape().Dimensions[3]
	K := w.Shape().Dimensions[1]
	if w.Shape().Dimensions[0] != cin || w.Shape().Dimensions[2] != K {
		panic(fmt.Sprintf("ConvTranspose2D: w %s does not match x %s (want [%d, K, K, Cout])", w.Shape(), x.Shape(), cin))
	}
	ho, wo := ConvTransposeSize(H, K, stride, pad), ConvTransposeSize(W, K, stride, pad)
	if ho < 1 || wo < 1 {
		panic(fmt.Sprintf("ConvTranspose2D: output size %dx%d for input %dx%d, kernel %d, stride %d, padding %d", ho, wo, H, W, K, stride, pad))
	}
	g := x.Graph()
	cols := graph.DotGeneral(x, []int{3}, nil, w, []int{0}, nil) // [N, H, W, K, K, Cout]
	ah := graph.ConvertDType(graph.Const(g, placement(ho, H, K, stride, pad)), x.DType())
	aw := graph.ConvertDType(graph.Const(g, placement(wo, W, K, stride, pad)), x.DType())
	t := graph.DotGeneral(cols, []int{1, 3}, nil, ah, []int{1, 2}, nil) // [N, W, Kw, Cout, Ho]
	t = graph.DotGeneral(t, []int{1, 2}, nil, aw, []int{1, 2}, nil)     // [N, Cout, Ho, Wo]
	return graph.TransposeAllAxes(t, 0, 2, 3, 1)
}

// ConvTransposeSize is the output length (n-1) s - 2p + k of a transposed convolution along one axis.
func ConvTransposeSize(n, k, stride, pad int) int { return (n-1)*stride - 2*pad + k }

// placement is A[o, i, k] = 1 if o = i*stride - pad + k, else 0, as a [out, n, k] tensor.
func placement(out, n, k, stride, pad int) *tensors.Tensor {
	a := make([]float32, out*n*k)
	for i := 0; i < n; i++ {
		for kk := 0; kk < k; kk++ {
			if o := i*stride - pad + kk; o >= 0 && o < out {
				a[(o*n+i)*k+kk] = 1
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(a, out, n, k)
}
