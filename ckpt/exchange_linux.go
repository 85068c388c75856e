package ckpt

import "golang.org/x/sys/unix"

// exchange swaps two directories atomically, or fails where that is unsupported (a variable so that
// tests can take replaceDir's fallback path).
var exchange = defaultExchange

// defaultExchange is renameat2 with RENAME_EXCHANGE (Linux 3.15 and later, on the common local
// filesystems).
func defaultExchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
