// Package clix holds what the lebm commands share: the backend flag, progress bars and output helpers.
package clix
