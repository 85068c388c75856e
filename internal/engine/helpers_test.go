package engine

import (
	"testing"

	"github.com/gomlx/compute"
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
