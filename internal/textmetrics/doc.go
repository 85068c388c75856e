// Package textmetrics computes the generation metrics of latent text-model papers that need no model:
// corpus BLEU against a reference set and the KL divergence between unigram distributions.
package textmetrics
