package text

import (
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
)

// Arithmetic of the learning iteration, counted in floating-point operations of its matrix products (a
// product [m, k] x [k, n] is 2mkn; element-wise work is left out), for the benchmarks' "fraction of
// peak". A pass that trains weights costs three times its forward pass (the forward, the gradient with
// respect to its inputs, the gradient with respect to its weights); a Langevin step costs two (the
// forward and the gradient with respect to z).

// decoderForward is one decoder pass over a sentence of T time steps, per row:
//
//	h_0 = tanh(W_h z): 2 z H;  the z part of the gates W_z z: 2 z 4H;
//	per step: W_x e_t 2 E 4H, U h 2 H 4H, the output layer W_o h 2 H V.
func (c *Config) decoderForward(v, T int) float64 {
	E, H, Z, V := float64(c.EmbedDim), float64(c.HiddenDim), float64(c.ZDim), float64(v)
	return 2*Z*H + 2*Z*4*H + float64(T)*(2*E*4*H+2*H*4*H+2*H*V)
}

// encoderForward is one pass of the inference network over T tokens, per row: per step W_x e_t 2 E 4He
// and U h 2 He 4He, then mu and log sigma^2 2 He 2z.
func (c *Config) encoderForward(T int) float64 {
	E, He, Z := float64(c.EmbedDim), float64(c.EncoderSize()), float64(c.ZDim)
	return float64(T)*(2*E*4*He+2*He*4*He) + 2*He*2*Z
}

// priorForward is f_alpha on one row: d -> nef -> nef -> 1.
func (c *Config) priorForward() float64 {
	Z, W := float64(c.ZDim), float64(c.EBMWidth)
	if c.Prior != prior.EBM {
		return 0
	}
	return 2 * (Z*W + W*W + W)
}

// IterationFLOPs is the arithmetic of one learning iteration on a batch of Batch rows of T time steps
// with a vocabulary of v words:
//
//	N [ 3 dec + 3 enc + 2 dec [K1 > 0] + 3 f [rate against f] + K1 2 (dec + f) + (2 K0 + 3 2) f + 3 BoW ]
//
// with dec, enc and f one forward pass of the decoder, the inference network (when configured) and
// f_alpha per row; the encoder's own decoder pass at its draw when a posterior chain moves z_post away
// from it (with K1 = 0 the generator's pass serves both), f at that draw when the encoder's rate is
// against p_alpha, the prior chain's K0 steps, the prior update on N prior and N posterior rows, the
// posterior chain's K1 steps on lambda E_alpha - log p_beta, and the bag-of-words head 2 z V.
func (c *Config) IterationFLOPs(v, T int) float64 {
	dec, f := c.decoderForward(v, T), c.priorForward()
	per := 3*dec + float64(c.K1)*2*(dec+f) + float64(2*c.K0+6)*f
	if c.HasEncoder() {
		per += 3 * c.encoderForward(T)
		if c.K1 > 0 {
			per += 2 * dec
		}
		if c.EncoderRate != learn.RateBase {
			per += 3 * f
		}
	}
	if c.BoWWeight > 0 {
		per += 3 * 2 * float64(c.ZDim) * float64(v)
	}
	return float64(c.Batch) * per
}
