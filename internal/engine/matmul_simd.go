//go:build amd64 && goexperiment.simd

package engine

import (
	"os"
	"simd/archsimd"
)

// MatMulPath names the matrix-multiplication kernels the Go backend uses in this binary: built with
// GOEXPERIMENT=simd, GoMLX compute's AVX-512 kernels where the CPU has AVX-512, else its AVX2 kernels,
// else portable Go loops. GOMLX_SIMD_AVX512=false or GOMLX_SIMD_AVX2=false (compute's own switches)
// turn a kernel family off.
func MatMulPath() string {
	switch {
	case archsimd.X86.AVX512() && os.Getenv("GOMLX_SIMD_AVX512") != "false":
		return "AVX-512 (GOEXPERIMENT=simd)"
	case archsimd.X86.AVX2() && os.Getenv("GOMLX_SIMD_AVX2") != "false":
		return "AVX2 (GOEXPERIMENT=simd)"
	default:
		return "portable Go (built with GOEXPERIMENT=simd, but this CPU has neither AVX-512 nor AVX2)"
	}
}
