package image

import (
	"fmt"

	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
)

// Memory estimates, from the sizes alone (learn.Memory), what an image model needs before it is created.

// footprint is the generator's parameters and what one row keeps per Langevin step: per transposed
// convolution, the per-pixel kernel copies of its input (H_in W_in K^2 C_out) and its output, forward and
// backward, in float32. Unknown layouts count nothing (Validate refuses them).
func (c *Config) footprint() (params, rowBytes float64) {
	layers, err := c.Layers()
	if err != nil {
		return 0, 0
	}
	cin, size := float64(c.ZDim), 1
	for _, l := range layers {
		k, out := float64(l.K), float64(l.Out)
		next := engine.ConvTransposeSize(size, l.K, l.S, l.P)
		params += cin*k*k*out + out
		rowBytes += 2 * learn.Float32Bytes * (float64(size*size)*k*k*out + float64(next*next)*out)
		cin, size = out, next
	}
	return params + c.EBMParameters(), rowBytes
}

func (c *Config) sizes() string {
	return fmt.Sprintf(", --ngf %d, %dx%dx%d images", c.NGF, c.Height, c.Width, c.Channels)
}

// imageStepsKept is how many posterior steps' activations the generator's graph keeps alive at once (the
// svhn preset at full size peaks at 686 MiB, about 3 steps of its 100 rows besides the parameters).
const imageStepsKept = 4

// ModelMemory is what the model's parameters (with Adam's state) need.
func (c *Config) ModelMemory() learn.Memory {
	params, _ := c.footprint()
	return learn.Memory{Bytes: params * learn.BytesPerParameter, What: fmt.Sprintf("an image model of %.3g parameters (--z %d, --ebm-width %d%s)",
		params, c.ZDim, c.EBMWidth, c.sizes())}
}

// IterationMemory is what the learning iteration needs.
func (c *Config) IterationMemory() learn.Memory {
	params, row := c.footprint()
	return c.Config.IterationMemory(params, row, min(float64(c.PosteriorGraphSteps())+2, imageStepsKept), c.sizes())
}

// ChainMemory is what a call of rows posterior-chain rows needs (reconstruction, likelihood, anomaly
// scores), named by what (the flags behind rows).
func (c *Config) ChainMemory(rows int, what string) learn.Memory {
	params, row := c.footprint()
	return learn.Memory{Bytes: params*learn.Float32Bytes + float64(rows)*row, What: fmt.Sprintf("%d posterior-chain rows per call (%s%s)", rows, what, c.sizes())}
}
