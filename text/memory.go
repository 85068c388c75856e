package text

import (
	"fmt"

	"github.com/lebm/lebm/corpora"
	"github.com/lebm/lebm/learn"
)

// Memory estimates, from the sizes alone (learn.Memory), what a text model needs before it is created.

// Parameters is the number of parameters of a model of this configuration with a vocabulary of v words:
// the decoder (embedding v x E, LSTM gates [E + z + H] x 4H + 4H, h_0 from z, output H x v + v), the
// inference network and the bag-of-words head when configured, and f_alpha.
func (c *Config) Parameters(v int) float64 {
	V, E, H, Z := float64(v), float64(c.EmbedDim), float64(c.HiddenDim), float64(c.ZDim)
	p := V*E + (E+Z+H)*4*H + 4*H + Z*H + H + H*V + V
	if c.HasEncoder() {
		He := float64(c.EncoderSize())
		p += V*E + (E+He)*4*He + 4*He + 2*(He*Z+Z)
	}
	if c.BoWWeight > 0 {
		p += Z*V + V
	}
	return p + c.EBMParameters()
}

// rowBytes is what one posterior-chain row keeps per Langevin step: per time step of a sentence of
// tokens tokens, the output logits over v words and the LSTM's gates and states (8H), with the input
// embedding, in float32.
func (c *Config) rowBytes(v, tokens int) float64 {
	return learn.Float32Bytes * float64(tokens) * (float64(v) + 8*float64(c.HiddenDim) + float64(c.EmbedDim))
}

// callLen is the sentence length, in tokens, that bounds a chain call's memory: MaxLen, at most
// RowsReferenceLen (longer buckets hold proportionally fewer rows per call, sentences.CallRows).
func (c *Config) callLen() int {
	if c.MaxLen == corpora.Whole {
		return RowsReferenceLen
	}
	return min(c.MaxLen, RowsReferenceLen)
}

// sizes names the text flags behind an estimate, for sentences of tokens tokens.
func (c *Config) sizes(v, tokens int) string {
	return fmt.Sprintf(", --embed %d, --hidden %d, sentences of %d tokens, %d words", c.EmbedDim, c.HiddenDim, tokens, v)
}

// ModelMemory is what the model's parameters (with Adam's state) need, with a vocabulary of v words.
func (c *Config) ModelMemory(v int) learn.Memory {
	return learn.Memory{Bytes: c.Parameters(v) * learn.BytesPerParameter,
		What: fmt.Sprintf("a text model of %.3g parameters (--z %d, --ebm-width %d%s)", c.Parameters(v), c.ZDim, c.EBMWidth, c.sizes(v, c.callLen()))}
}

// IterationMemory is what the learning iteration needs, with a vocabulary of v words, on a batch of the
// longest training sentences (longest tokens with <bos> and <eos>).
func (c *Config) IterationMemory(v, longest int) learn.Memory {
	return c.Config.IterationMemory(c.Parameters(v), c.rowBytes(v, longest), float64(c.PosteriorGraphSteps())+2, c.sizes(v, longest)) // every step's logits stay alive
}

// ChainMemory is what a call of rows posterior-chain rows needs (evaluation, reconstruction), named by
// what (the flags behind rows), with a vocabulary of v words.
func (c *Config) ChainMemory(rows int, what string, v int) learn.Memory {
	b := c.Parameters(v)*learn.Float32Bytes + 3*float64(rows)*c.rowBytes(v, c.callLen())
	return learn.Memory{Bytes: b, What: fmt.Sprintf("%d posterior-chain rows per call (%s%s)", rows, what, c.sizes(v, c.callLen()))}
}
