//go:build amd64 && goexperiment.simd

package engine

import (
	"simd/archsimd"

	"github.com/gomlx/compute/support/envutil"
)

// MatMulPath names the matrix-multiplication kernels the Go backend uses in this binary: built with
// GOEXPERIMENT=simd, GoMLX compute's AVX-512 kernels where the CPU has AVX-512, else its AVX2 kernels,
// else portable Go loops. compute's own switches GOMLX_GO_DOT_MATMUL, GOMLX_GO_SIMD_AVX512 and GOMLX_GO_SIMD_AVX2
// (false turns a family off) are read as compute reads them.
func MatMulPath() string {
	on := func(env string) bool { v, err := envutil.ReadBool(env, true); return err == nil && v }
	switch {
	case !on(envutil.GoBackendDotMatmul):
		return "GoMLX's generic DotGeneral (GOMLX_GO_DOT_MATMUL turns the matrix kernels off)"
	case archsimd.X86.AVX512() && on(envutil.GoBackendSIMD_AVX512):
		return "AVX-512 (GOEXPERIMENT=simd)"
	case archsimd.X86.AVX2() && on(envutil.GoBackendSIMD_AVX2):
		return "AVX2 (GOEXPERIMENT=simd)"
	default:
		return "portable Go (built with GOEXPERIMENT=simd, but AVX-512 and AVX2 are absent or turned off)"
	}
}
