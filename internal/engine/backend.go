// Package engine is the one small place where lebm adapts GoMLX (v0.28.16, with github.com/gomlx/compute
// v0.1.14 and github.com/gomlx/go-xla v0.4.13) to the machines it runs on. What remains, each with its
// reason and documented where it is implemented:
//
//   - Backend selection (this file): the pure-Go backend ("go", github.com/gomlx/compute/gobackend) by
//     default, run with sequential op execution in creation order. Creation order: the other order runs
//     last the nodes with the shortest path to an output, and in the unrolled chains of the learning
//     iteration those are the reductions that end each step's energy (recorded for divergence checks), so
//     every step's [rows, vocabulary] logits stayed alive until the end of the graph (PTB full size,
//     v0.28.16, measured 2026-12-07: peak 2787 MiB in dependency order, 1039 MiB in creation order).
//     Sequential: on compute v0.1.2 the parallel executor deadlocked on 2-core machines at PTB size; on
//     v0.1.14 it runs but is slower (PTB full size 7.6 s per iteration against 4.4 s sequential; small
//     0.19 s against 0.16 s): the matrix products already use every core. XLA through a PJRT plugin
//     given by name ("cuda", "cpu") or by absolute path to the plugin's .so file.
//   - Variables as graph parameters (params.go): the Go backend asks GoMLX to bake variables into graphs as
//     constants, which loses every update of a graph compiled once and executed many times.
//   - Which matrix kernels the binary has (matmul_simd.go, matmul_nosimd.go): GoMLX compute's AVX2 and
//     AVX-512 kernels are compiled only with GOEXPERIMENT=simd; lebm says which path a run uses.
//   - ConvTranspose2D (convt.go): GoMLX has no transposed convolution, and its rewrite as a convolution
//     has a wrong gradient for even kernels in GoMLX v0.28.16 and is slow on the Go backend.
//
// One adaptation lives where it is used: internal/optim creates the state of GoMLX's Adam when an
// optimizer is created, not at the first update graph as GoMLX does, so that a checkpoint restores it.
//
// Obsolete since v0.28.2 and deleted: lebm's own Dot/DotGeneral VJP (GoMLX's is now two DotGenerals, not
// a broadcast to [batch, lhs, rhs, contracting]) and the slicing-free LSTM gates (the Go backend has Pad,
// so Slice, Split and Concatenate differentiate).
package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The default, pure-Go CPU backend.
)

// DefaultBackend is the backend used when the user names none: the Go backend with sequential op execution.
const DefaultBackend = "go"

// BackendConfig turns a user-facing backend name into a GoMLX backend configuration string.
//
//	"" or "go" or "simplego"    -> "go:ops_sequential,creation_order" (see the package comment)
//	"go:OPTIONS"                 -> passed through (e.g. "go:parallelism=2")
//	"xla"                        -> "xla" (go-xla's default plugin)
//	"xla:NAME" / "NAME"          -> "xla:NAME", e.g. "cuda" -> "xla:cuda" (any plugin name known to go-xla)
//	"/abs/path/plugin.so"        -> "xla:/abs/path/plugin.so"
func BackendConfig(name string) (string, error) {
	switch lower := strings.ToLower(name); {
	case lower == "" || lower == "go" || lower == "simplego":
		return "go:ops_sequential,creation_order", nil
	case strings.HasPrefix(name, "go:"):
		return name, nil
	case strings.HasPrefix(name, "xla:"):
		return name, nil
	case name == "xla":
		return "xla", nil
	case filepath.IsAbs(name):
		return "xla:" + name, nil
	case strings.ContainsAny(name, "/\\"):
		return "", fmt.Errorf("backend %q: a PJRT plugin must be given by absolute path", name)
	default:
		return "xla:" + name, nil
	}
}

// NewBackend creates the backend named by the user (see BackendConfig).
// XLA is only available in binaries built with cgo and the "xla" build tag.
func NewBackend(name string) (compute.Backend, error) {
	config, err := BackendConfig(name)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(config, "xla") && !xlaLinked {
		return nil, fmt.Errorf("backend %q is not in this binary: it has the pure-Go backend only (--backend go, or go:OPTIONS such as "+
			"go:parallelism=2); %q would be an XLA PJRT plugin (cpu, cuda, xla:NAME or /abs/path/plugin.so), which needs a build with "+
			"`CGO_ENABLED=1 go build -tags xla ./cmd/lebm`", name, name)
	}
	b, err := compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", name, err)
	}
	return withVariablesAsParameters(b), nil
}

// Describe names backend b, created from the user's name (see BackendConfig), for a run's first lines:
// for the Go backend its configuration and matrix kernels (MatMulPath), e.g.
// "go:ops_sequential,creation_order (pure Go; matrix products: AVX-512 (GOEXPERIMENT=simd))"; XLA backends describe
// their platform themselves.
func Describe(name string, b compute.Backend) string {
	if strings.HasPrefix(strings.ToLower(b.Name()), "go") { // the Go backend calls itself "Go Backend"
		config, _ := BackendConfig(name)
		return config + " (pure Go; matrix products: " + MatMulPath() + ")"
	}
	return b.Name() + " (" + b.Description() + ")"
}
