package text

import (
	"testing"

	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
)

// TestIterationFLOPs: the iteration's arithmetic on a configuration small enough to count by hand
// (embedding 2, hidden 3, z 1, f_alpha width 2, 5 words, 4 steps, batch 2, K0 = 1):
//
//	decoder pass  2*1*3 + 2*1*12 + 4*(2*2*12 + 2*3*12 + 2*3*5) = 630
//	encoder pass  4*(2*2*12 + 2*3*12) + 2*3*2 = 492;  f_alpha  2*(1*2 + 2*2 + 2) = 16
//
// with the inference network (K1 = 0, rate against N(0, I)): 2 * (3*630 + 3*492 + (2*1 + 6)*16) = 6988;
// its rate against p_alpha adds f at its draw, 2 * 3*16 = 96; K1 = 2 steps from the encoder's draw add
// the chain, 2 * 2*2*(630 + 16) = 5168, and the encoder's own decoder pass, 2 * 2*630 = 2520; with
// K1 = 2 steps from noise: 2 * (3*630 + 2*2*(630 + 16) + 8*16) = 9204; the gaussian prior has no f_alpha.
func TestIterationFLOPs(t *testing.T) {
	c := Config{EmbedDim: 2, HiddenDim: 3, Config: learn.Config{ZDim: 1, EBMWidth: 2, Prior: prior.EBM, K0: 1, Batch: 2,
		PosteriorInit: learn.InitEncoder, EncoderRate: learn.RateBase}}
	if got := c.IterationFLOPs(5, 4); got != 6988 {
		t.Errorf("with the inference network: %v, want 6988", got)
	}
	c.EncoderRate = learn.RateModel
	if got := c.IterationFLOPs(5, 4); got != 6988+96 {
		t.Errorf("rate against p_alpha: %v, want %d", got, 6988+96)
	}
	c.K1 = 2
	if got := c.IterationFLOPs(5, 4); got != 6988+96+5168+2520 {
		t.Errorf("K1 = 2 from the encoder's draw: %v, want %d", got, 6988+96+5168+2520)
	}
	c.PosteriorInit, c.K1 = learn.InitNoise, 2
	if got := c.IterationFLOPs(5, 4); got != 9204 {
		t.Errorf("K1 = 2 from noise: %v, want 9204", got)
	}
	c.Prior = prior.Gaussian
	if got := c.IterationFLOPs(5, 4); got != 2*(3*630+2*2*630) {
		t.Errorf("gaussian prior: %v, want %d", got, 2*(3*630+2*2*630))
	}
}
