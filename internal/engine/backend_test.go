package engine

import (
	"io"
	"os"
	"strings"
	"testing"
)

// TestBackendCreationIsQuiet: the Go backend prints a line to standard output when given parallelism;
// NewBackend keeps it off, so --json output stays JSON.
func TestBackendCreationIsQuiet(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	for _, name := range []string{"", "go:parallelism=2"} {
		if _, err := NewBackend(name); err != nil {
			os.Stdout = saved
			t.Fatalf("%q: %v", name, err)
		}
	}
	os.Stdout = saved
	w.Close()
	if out, _ := io.ReadAll(r); len(out) > 0 {
		t.Errorf("creating backends wrote %q to standard output", out)
	}
}

func TestBackendConfig(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"", "go:parallelism=-1,creation_order", ""},
		{"go", "go:parallelism=-1,creation_order", ""},
		{"simplego", "go:parallelism=-1,creation_order", ""},
		{"GO", "go:parallelism=-1,creation_order", ""},
		{"go:parallelism=2", "go:parallelism=2", ""},
		{"xla", "xla", ""},
		{"cuda", "xla:cuda", ""},
		{"xla:cuda", "xla:cuda", ""},
		{"/opt/jax_plugins/xla_cuda_plugin.so", "xla:/opt/jax_plugins/xla_cuda_plugin.so", ""},
		{"plugins/x.so", "", "absolute path"},
	}
	for _, tc := range cases {
		got, err := BackendConfig(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: want error %q, got %q, %v", tc.in, tc.err, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if !xlaLinked {
		for _, name := range []string{"cuda", "cpu"} {
			if _, err := NewBackend(name); err == nil || !strings.Contains(err.Error(), "-tags xla") || !strings.Contains(err.Error(), "--backend go") {
				t.Errorf("%s: a build without XLA must name the backends it has and say how to get XLA, got %v", name, err)
			}
		}
	}
}
