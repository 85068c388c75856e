// Package interpolate is `lebm interpolate`: decode along the straight line between the inferred codes
// of two sentences.
package interpolate
