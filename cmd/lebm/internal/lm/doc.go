// Package lm is `lebm lm train` and `lebm lm eval`: the plain LSTM language model (the decoder without
// z), the baseline of every latent text model and the scorer of forward and reverse perplexity.
package lm
