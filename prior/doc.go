// Package prior implements the latent prior p_alpha(z) = exp(f_alpha(z)) p0(z) / Z(alpha), p0 = N(0, I),
// with f_alpha an MLP (the energy-based prior), or f_alpha = 0 (the gaussian ablation), and the
// Monte Carlo estimate of log Z(alpha).
package prior
