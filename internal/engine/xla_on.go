//go:build xla

package engine

import _ "github.com/gomlx/go-xla/compute/xla" // XLA via PJRT plugins (CUDA, CPU); needs cgo.

const xlaLinked = true
