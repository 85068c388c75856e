// Package plots draws the PNG pictures of `lebm plot` with gonum/plot: training curves from the
// JSON-lines log and a 2-D projection of posterior means.
package plots
