// Package plot is `lebm plot`: PNG pictures of a run (training curves, validation NLL, posterior means).
package plot
