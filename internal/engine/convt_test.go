package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// naiveConvT is the transposed convolution by its definition: every input pixel scatters its kernel-weighted
// copy into the output (PyTorch's ConvTranspose2d semantics, channels last).
func naiveConvT(x []float32, n, h, w, cin int, k []float32, K, cout, s, p int) ([]float32, int, int) {
	ho, wo := (h-1)*s-2*p+K, (w-1)*s-2*p+K
	y := make([]float32, n*ho*wo*cout)
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for ci := 0; ci < cin; ci++ {
					xv := x[((b*h+i)*w+j)*cin+ci]
					for kh := 0; kh < K; kh++ {
						for kw := 0; kw < K; kw++ {
							oh, ow := i*s-p+kh, j*s-p+kw
							if oh < 0 || oh >= ho || ow < 0 || ow >= wo {
								continue
							}
							for c := 0; c < cout; c++ {
								y[((b*ho+oh)*wo+ow)*cout+c] += xv * k[((ci*K+kh)*K+kw)*cout+c]
							}
						}
					}
				}
			}
		}
	}
	return y, ho, wo
}

// naiveConvTGrads are the gradients of L = sum_y r y with respect to x and w, by the chain rule written out:
// dx[b,i,j,ci] = sum r[b,oh,ow,c] w[ci,kh,kw,c], dw[ci,kh,kw,c] = sum x[b,i,j,ci] r[b,oh,ow,c]
// over the (kh, kw) that place (i, j) at (oh, ow) inside the output.
func naiveConvTGrads(x []float32, n, h, w, cin int, k []float32, K, cout, s, p int, r []float32) (dx, dw []float32) {
	ho, wo := (h-1)*s-2*p+K, (w-1)*s-2*p+K
	dx = make([]float32, len(x))
	dw = make([]float32, len(k))
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for ci := 0; ci < cin; ci++ {
					xi := ((b*h+i)*w + j) * cin
					for kh := 0; kh < K; kh++ {
						for kw := 0; kw < K; kw++ {
							oh, ow := i*s-p+kh, j*s-p+kw
							if oh < 0 || oh >= ho || ow < 0 || ow >= wo {
								continue
							}
							for c := 0; c < cout; c++ {
								rv := r[((b*ho+oh)*wo+ow)*cout+c]
								wi := ((ci*K+kh)*K+kw)*cout + c
								dx[xi+ci] += rv * k[wi]
								dw[wi] += x[xi+ci] * rv
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

func normals(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// TestConvTranspose2DMatchesNaive checks values and both gradients against the loops above, for the
// layer shapes the image generators use (1x1 -> KxK projection, stride-2 doubling with padding 1, the
// 3x3 stride-1 "same" output layer, the odd 4 -> 7 MNIST step) and a non-square input.
func TestConvTranspose2DMatchesNaive(t *testing.T) {
	backend := testBackend(t)
	cases := []struct{ n, h, w, cin, K, cout, s, p int }{
		{2, 1, 1, 5, 4, 3, 1, 0},
		{2, 4, 4, 3, 4, 2, 2, 1},
		{1, 5, 5, 2, 3, 3, 1, 1},
		{2, 4, 4, 3, 3, 2, 2, 1},
		{1, 3, 5, 2, 4, 2, 2, 1},
		{1, 2, 3, 2, 5, 1, 3, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d-k%d-s%d-p%d", c.h, c.w, c.cin, c.K, c.s, c.p), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.h*100+c.K), 3))
			x := normals(rng, c.n*c.h*c.w*c.cin)
			k := normals(rng, c.cin*c.K*c.K*c.cout)
			want, ho, wo := naiveConvT(x, c.n, c.h, c.w, c.cin, k, c.K, c.cout, c.s, c.p)
			r := normals(rng, len(want))
			wantDx, wantDw := naiveConvTGrads(x, c.n, c.h, c.w, c.cin, k, c.K, c.cout, c.s, c.p, r)
			out := graph.MustExecOnceN(backend, func(xn, kn, rn *graph.Node) []*graph.Node {
				y := ConvTranspose2D(xn, kn, c.s, c.p)
				loss := graph.ReduceAllSum(graph.Mul(y, rn))
				grads := graph.Gradient(loss, xn, kn)
				return []*graph.Node{y, grads[0], grads[1]}
			}, tensors.FromFlatDataAndDimensions(x, c.n, c.h, c.w, c.cin),
				tensors.FromFlatDataAndDimensions(k, c.cin, c.K, c.K, c.cout),
				tensors.FromFlatDataAndDimensions(r, c.n, ho, wo, c.cout))
			if got := out[0].Shape().Dimensions; got[1] != ho || got[2] != wo || got[3] != c.cout {
				t.Fatalf("output shape %v, want [%d %d %d %d]", got, c.n, ho, wo, c.cout)
			}
			for name, pair := range map[string][2][]float32{
				"y":  {tensors.MustCopyFlatData[float32](out[0]), want},
				"dx": {tensors.MustCopyFlatData[float32](out[1]), wantDx},
				"dw": {tensors.MustCopyFlatData[float32](out[2]), wantDw},
			} {
				got, w := pair[0], pair[1]
				for i := range w {
					if math.Abs(float64(got[i]-w[i])) > 1e-4*(1+math.Abs(float64(w[i]))) {
						t.Fatalf("%s[%d] = %g, want %g", name, i, got[i], w[i])
					}
				}
			}
		})
	}
}

func TestConvTransposeSize(t *testing.T) {
	for _, c := range []struct{ n, k, s, p, want int }{{1, 4, 1, 0, 4}, {4, 4, 2, 1, 8}, {16, 4, 2, 1, 32}, {4, 3, 2, 1, 7}, {32, 3, 1, 1, 32}} {
		if got := ConvTransposeSize(c.n, c.k, c.s, c.p); got != c.want {
			t.Errorf("ConvTransposeSize(%d, %d, %d, %d) = %d, want %d", c.n, c.k, c.s, c.p, got, c.want)
		}
	}
}
