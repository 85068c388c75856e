// Package engine is the one small place where lebm adapts GoMLX (v0.28.16, with github.com/gomlx/compute
// v0.1.14 and github.com/gomlx/go-xla v0.4.13) to the machines it runs on. What it adapts, each documented
// where it is implemented (the README's "Working around GoMLX" gives the measurements behind each choice):
//
//   - Backend selection (backend.go): the pure-Go backend ("go", github.com/gomlx/compute/gobackend) by
//     default, its ops in creation order and its worker pool unbounded (parallelism=-1). Creation order:
//     the other order runs last the nodes with the shortest path to an output, and in the unrolled chains
//     of the learning iteration those are the reductions that end each step's energy (recorded for
//     divergence checks), so every step's [rows, vocabulary] logits would stay alive until the end of the
//     graph (peak memory 2.6x). Unbounded workers: the bounded pool (2 workers per core) makes independent
//     small ops and the matrix products' tiles wait for each other; unbounded, a graph's independent ops
//     run side by side where one execution runs alone. The matrix products split their output, not their
//     sums, across workers, so results do not depend on the number of workers. The Go backend prints a
//     line when given parallelism, which lebm keeps off standard output. XLA through a PJRT plugin given
//     by name ("cuda", "cpu") or by absolute path to the plugin's .so file.
//   - Variables as graph parameters (params.go): the Go backend asks GoMLX to bake variables into graphs as
//     constants, which loses every update of a graph compiled once and executed many times.
//   - Which matrix kernels the binary has (matmul_simd.go, matmul_nosimd.go): GoMLX compute's AVX2 and
//     AVX-512 kernels are compiled only with GOEXPERIMENT=simd; lebm says which path a run uses.
//   - ConvTranspose2D (convt.go): GoMLX has no transposed convolution, and its rewrite as a convolution
//     has a wrong gradient for even kernels in GoMLX v0.28.16 and is slow on the Go backend.
//
// One adaptation lives where it is used: internal/optim creates the state of GoMLX's Adam when an
// optimizer is created, not at the first update graph as GoMLX does, so that a checkpoint restores it.
package engine
