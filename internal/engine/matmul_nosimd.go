//go:build !(amd64 && goexperiment.simd)

package engine

import "runtime"

// MatMulPath names the matrix-multiplication kernels the Go backend uses in this binary: portable Go
// loops. On amd64 that means it was built without GOEXPERIMENT=simd (rebuilding with it gives the AVX2 or
// AVX-512 kernels, 11-14x faster on matrix products); GoMLX compute (v0.1.14) has SIMD kernels for amd64 only.
func MatMulPath() string {
	if runtime.GOARCH != "amd64" {
		return "portable Go (GoMLX compute has SIMD matrix kernels for amd64 only)"
	}
	return "portable Go (built without GOEXPERIMENT=simd: 11-14x slower matrix products; rebuild with GOEXPERIMENT=simd)"
}
