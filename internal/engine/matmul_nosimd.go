//go:build !(amd64 && goexperiment.simd)

package engine

// MatMulPath names the matrix-multiplication kernels the Go backend uses in this binary: portable Go
// loops, since it was built without GOEXPERIMENT=simd (on amd64, rebuilding with it gives the AVX2 or
// AVX-512 kernels, 11-14x faster on matrix products).
func MatMulPath() string {
	return "portable Go (built without GOEXPERIMENT=simd: 11-14x slower matrix products; rebuild with GOEXPERIMENT=simd)"
}
