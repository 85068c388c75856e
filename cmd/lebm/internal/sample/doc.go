// Package sample is `lebm sample`: draw z from the learned prior with the prior short-run chain and
// decode sentences.
package sample
