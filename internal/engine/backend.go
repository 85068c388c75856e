// Package compute is the one small place where lebm adapts GoMLX v0.26.0 to the machines it runs on.
//
// It holds three workarounds, each documented where it is implemented:
//
//   - Backend selection (this file): the pure-Go SimpleGo backend by default, run with sequential op
//     execution because its parallel executor has hung on 2-core machines; XLA through a PJRT plugin
//     given by name ("cuda", "cpu") or by absolute path to the plugin's .so file.
//   - A memory-efficient VJP for DotGeneral (dotgeneral.go): GoMLX's generic VJP materialises a
//     [batch, lhs, rhs, contracting] tensor (about 20 GB for the PTB output layer); ours uses two
//     DotGenerals.
//   - Graph-level avoidance of ops that SimpleGo lacks (see SplitGates): SimpleGo has no Pad, so the
//     gradients of Slice, Split and Concatenate fail; model code never slices or concatenates a tensor
//     that carries a gradient.
package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The default, pure-Go CPU backend.
)

// DefaultBackend is the backend used when the user names none: SimpleGo with sequential op execution.
const DefaultBackend = "go"

// BackendConfig turns a user-facing backend name into a GoMLX backend configuration string.
//
//	"" or "go" or "simplego"    -> "go:ops_sequential"
//	"go:OPTIONS"                 -> passed through (e.g. "go:parallelism=2")
//	"xla" / "xla:cuda" / "cuda"  -> "xla:cuda" (any plugin name known to go-xla)
//	"/abs/path/plugin.so"        -> "xla:/abs/path/plugin.so"
func BackendConfig(name string) (string, error) {
	switch {
	case name == "" || name == "go" || name == "simplego":
		return "go:ops_sequential", nil
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
		return nil, fmt.Errorf("backend %q needs the XLA backend, which this binary was built without: "+
			"rebuild with `CGO_ENABLED=1 go build -tags xla ./cmd/lebm`", name)
	}
	b, err := compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", name, err)
	}
	return b, nil
}
