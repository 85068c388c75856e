//go:build !xla

package engine

const xlaLinked = false
