// Package sweep is `lebm sweep`: train a small grid of settings at an equal budget, evaluate each, and
// write a comparison table (Markdown and JSON) and a plot.
package sweep
