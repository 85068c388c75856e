package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The default, pure-Go CPU backend.
)

// DefaultBackend is the backend used when the user names none: the Go backend, ops in creation order, its
// workers unbounded (see the package comment).
const DefaultBackend = "go"

// BackendConfig turns a user-facing backend name into a GoMLX backend configuration string.
//
//	"" or "go" or "simplego"    -> "go:parallelism=-1,creation_order" (see the package comment)
//	"go:OPTIONS"                 -> passed through (e.g. "go:parallelism=2")
//	"xla"                        -> "xla" (go-xla's default plugin)
//	"xla:NAME" / "NAME"          -> "xla:NAME", e.g. "cuda" -> "xla:cuda" (any plugin name known to go-xla)
//	"/abs/path/plugin.so"        -> "xla:/abs/path/plugin.so"
func BackendConfig(name string) (string, error) {
	switch lower := strings.ToLower(name); {
	case lower == "" || lower == "go" || lower == "simplego":
		return "go:parallelism=-1,creation_order", nil
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
	b, err := newQuietly(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", name, err)
	}
	return withVariablesAsParameters(b), nil
}

// stdoutMu serialises newQuietly's replacement of os.Stdout.
var stdoutMu sync.Mutex

// newQuietly creates the backend of config with os.Stdout on the null device: the Go backend prints
// "Go backend: parallelism set to N" to standard output when its configuration has parallelism=N (compute
// v0.1.14, gobackend.New), which would break a command's --json output. Replacing os.Stdout is safe
// here because nothing in lebm writes to os.Stdout directly: commands write to the writers they are given.
func newQuietly(config string) (compute.Backend, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return compute.NewWithConfig(config)
	}
	defer null.Close()
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	saved := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = saved }()
	return compute.NewWithConfig(config)
}

// Describe names backend b, created from the user's name (see BackendConfig), for a run's first lines:
// for the Go backend its configuration and matrix kernels (MatMulPath), e.g.
// "go:parallelism=-1,creation_order (pure Go; matrix products: AVX-512 (GOEXPERIMENT=simd))"; XLA backends describe
// their platform themselves.
func Describe(name string, b compute.Backend) string {
	if strings.HasPrefix(strings.ToLower(b.Name()), "go") { // the Go backend calls itself "Go Backend"
		config, _ := BackendConfig(name)
		return config + " (pure Go; matrix products: " + MatMulPath() + ")"
	}
	return b.Name() + " (" + b.Description() + ")"
}
