// Package text is the text generator family: a one-layer LSTM decoder p_beta(x|z), the latent-prior
// text model built on prior/ and sampler/, its learning iteration, and its evaluation (NLL, PPL, MI, AU).
package text
