// Package reconstruct is `lebm reconstruct`: infer z for each input sentence with the posterior chains
// and decode it.
package reconstruct
