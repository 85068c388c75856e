//go:build xla

package compute

import _ "github.com/gomlx/gomlx/backends/xla" // XLA via PJRT plugins (CUDA, CPU); needs cgo.

const xlaLinked = true
