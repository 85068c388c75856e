//go:build !xla

package compute

const xlaLinked = false
