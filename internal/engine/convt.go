package engine

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ConvTranspose2D is the 2-D transposed convolution (PyTorch's ConvTranspose2d, dilation 1, no output
// padding), channels last:
//
//	x [N, H, W, Cin], w [Cin, K, K, Cout] -> y [N, Ho, Wo, Cout],  Ho = (H-1) s - 2p + K (Wo likewise)
//	y[n, oh, ow, c] = sum_{i, kh, j, kw, ci} x[n, i, j, ci] w[ci, kh, kw, c] [oh = i s - p + kh] [ow = j s - p + kw]
//
// GoMLX has no transposed convolution. Its textbook rewrite, a zero-inserted input (Pad with interior
// padding) convolved with the spatially reversed kernel, is not used: on compute v0.1.14's Go backend the
// gradient of Convolve with respect to its input is wrong for even kernel sizes (every preset's kernels
// are 4x4), and the Go backend's convolution is more than ten times slower (figures in the README's
// "Working around GoMLX"). So it is written with DotGeneral, Transpose, Gather and element-wise ops,
// whose gradients GoMLX has, and runs and differentiates on every backend:
//
//  1. cols[i, kh, j, kw, n, c] = sum_ci w[ci, kh, kw, c] x[n, i, j, ci]   (one DotGeneral: the work)
//  2. overlap-add: output pixel (oh, ow) receives the taps (i, kh, j, kw) with oh = i s - p + kh and
//     ow = j s - p + kw, at most T = ceil(K/s)^2 of them. A constant index table gathers them
//     ([Ho*Wo*T] rows of N*Cout values), a constant 0/1 mask zeroes the missing taps at the borders, and a
//     sum over T gives y.
//
// The gradient of step 2 is a ScatterSum (GoMLX's VJP of Gather), of step 1 two DotGenerals (GoMLX's
// DotGeneral VJP). Two DotGenerals against 0/1 placement tensors would do step 2 too, but with their
// small contracting sizes (H K) the embedded image preset's posterior chain takes 1.4x as long.
func ConvTranspose2D(x, w *graph.Node, stride, pad int) *graph.Node {
	if x.Rank() != 4 || w.Rank() != 4 {
		panic(fmt.Sprintf("ConvTranspose2D: x %s and w %s must have rank 4 ([N,H,W,Cin] and [Cin,K,K,Cout])", x.Shape(), w.Shape()))
	}
	n, H, W, cin := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2], x.Shape().Dimensions[3]
	K, cout := w.Shape().Dimensions[1], w.Shape().Dimensions[3]
	if w.Shape().Dimensions[0] != cin || w.Shape().Dimensions[2] != K {
		panic(fmt.Sprintf("ConvTranspose2D: w %s does not match x %s (want [%d, K, K, Cout])", w.Shape(), x.Shape(), cin))
	}
	ho, wo := ConvTransposeSize(H, K, stride, pad), ConvTransposeSize(W, K, stride, pad)
	if ho < 1 || wo < 1 {
		panic(fmt.Sprintf("ConvTranspose2D: output size %dx%d for input %dx%d, kernel %d, stride %d, padding %d", ho, wo, H, W, K, stride, pad))
	}
	g := x.Graph()
	cols := graph.DotGeneral(w, []int{0}, nil, x, []int{3}, nil) // [Kh, Kw, Cout, N, H, W]
	cols = graph.TransposeAllAxes(cols, 4, 0, 5, 1, 3, 2)        // [H, Kh, W, Kw, N, Cout]
	cols = graph.Reshape(cols, H*K*W*K, n*cout)
	idx, mask, taps := overlapTable(H, W, K, stride, pad, ho, wo)
	y := graph.Gather(cols, graph.Const(g, idx))                          // [Ho*Wo*T, N*Cout]
	y = graph.Mul(y, graph.ConvertDType(graph.Const(g, mask), x.DType())) // mask [Ho*Wo*T, 1]
	y = graph.ReduceSum(graph.Reshape(y, ho, wo, taps, n, cout), 2)       // [Ho, Wo, N, Cout]
	return graph.TransposeAllAxes(y, 2, 0, 1, 3)
}

// overlapTable lists, for every output pixel (oh, ow) in row-major order, the T = th*tw rows of the
// [H, Kh, W, Kw] column table that land on it: idx [Ho*Wo*T, 1] int32 and mask [Ho*Wo*T, 1] (0 for the
// slots of taps that fall outside the input at the borders, whose index is 0).
func overlapTable(H, W, K, stride, pad, ho, wo int) (idx, mask *tensors.Tensor, taps int) {
	along := func(n, out int) ([][][2]int, int) { // per output position: the (i, k) pairs with o = i s - p + k
		lists := make([][][2]int, out)
		most := 0
		for i := 0; i < n; i++ {
			for k := 0; k < K; k++ {
				if o := i*stride - pad + k; o >= 0 && o < out {
					lists[o] = append(lists[o], [2]int{i, k})
					most = max(most, len(lists[o]))
				}
			}
		}
		return lists, most
	}
	lh, th := along(H, ho)
	lw, tw := along(W, wo)
	taps = th * tw
	ix := make([]int32, ho*wo*taps)
	mk := make([]float32, ho*wo*taps)
	for oh := 0; oh < ho; oh++ {
		for ow := 0; ow < wo; ow++ {
			base := (oh*wo + ow) * taps
			for a, ph := range lh[oh] {
				for b, pw := range lw[ow] {
					r := base + a*tw + b
					ix[r] = int32(((ph[0]*K+ph[1])*W+pw[0])*K + pw[1])
					mk[r] = 1
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(ix, ho*wo*taps, 1), tensors.FromFlatDataAndDimensions(mk, ho*wo*taps, 1), taps
}

// ConvTransposeSize is the output length (n-1) s - 2p + k of a transposed convolution along one axis.
func ConvTransposeSize(n, k, stride, pad int) int { return (n-1)*stride - 2*pad + k }
