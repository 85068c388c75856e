package engine

import (
	"math/rand/v2"

	"testing"

	"github.com/gomlx/compute"

	"github.com/gomlx/gomlx/core/tensors"
)

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}
