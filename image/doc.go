// Package image is the image generator family: the transposed-convolution generators of the paper's
// Table 2 with a Gaussian likelihood, plugged into the shared latent EBM prior (package prior) and the
// shared Langevin sampler (package sampler).
//
// Images are [N, H, W, C] float32 in [-1, 1] (channels last). The generator g_beta maps z [N, d] to images
// through transposed convolutions with LeakyReLU(0.1) between them and tanh at the end, and
//
//	log p_beta(x|z) = -||x - g_beta(z)||^2 / (2 sigma^2) + const,   sigma = 0.3,
//
// where the constant -(HWC/2) log(2 pi sigma^2) is left out everywhere (it changes no gradient, no
// chain and no anomaly ranking).
package image
