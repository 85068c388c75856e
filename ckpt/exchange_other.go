//go:build !linux

package ckpt

import "errors"

// exchange swaps two directories atomically, or fails where that is unsupported (a variable so that
// tests can take replaceDir's fallback path).
var exchange = defaultExchange

// defaultExchange: no atomic exchange here; replaceDir moves "latest" out of the way first.
func defaultExchange(a, b string) error {
	return errors.New("atomic directory exchange is not supported on this system")
}
