// Package clitest helps the command packages' tests: a tiny trained checkpoint and flag parsing.
package clitest
