package learn

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/lebm/lebm/prior"
)

// Memory is an estimate, in bytes, of what a piece of work will hold at its peak, computed from its sizes
// before anything is allocated, so that a size no machine can hold (a flag's typo, an edited checkpoint)
// is refused with the figure instead of ending in the runtime's out-of-memory crash. Estimates are
// float64: the product of sizes given by a user may not fit an int64.
type Memory struct {
	Bytes float64
	What  string // the work and the sizes behind it, for the message ("the learning iteration (--batch 32, ...)")
}

// BytesPerParameter is what a trained parameter holds: its float32 value, its gradient and Adam's two
// moments.
const BytesPerParameter = 16

// Float32Bytes is the size of a float32.
const Float32Bytes = 4

// Check refuses the work when it needs more than the machine's memory (see MachineMemory; unknown: no
// check), saying how much it would need and how much there is.
func (m Memory) Check() error {
	have, source := MachineMemory()
	if have <= 0 || m.Bytes <= have {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory, more than this machine's %s (%s): choose smaller sizes", m.What, Bytes(m.Bytes), Bytes(have), source)
}

// The Go runtime's soft memory limit during long work (LimitMemory): SoftLimitFactor times the work's
// largest estimate, at least SoftLimitFloor bytes.
const (
	SoftLimitFactor = 2
	SoftLimitFloor  = 1 << 30
)

// LimitMemory raises the Go runtime's soft memory limit (runtime/debug.SetMemoryLimit) for work whose
// estimates are given to SoftLimitFactor times the largest, at least SoftLimitFloor, unless the user set
// GOMEMLIMIT; it returns the limit in force (0 when left to GOMEMLIMIT). It only raises: a diagnosis
// during training keeps the training's limit. Without a limit the runtime lets the heap grow to twice
// what is live (GOGC 100) and the backend's pooled buffers wait for a second collection: training at the
// ptb preset's full size with two 500-sentence diagnoses peaked at 2.86 GiB of RSS for about 1 GiB live;
// with its limit (1.13 GiB) at 1.15 GiB, in the same time (README, "The recommended iteration at PTB
// size"). A limit below what is live makes the collector run more often; it never fails an allocation.
func LimitMemory(estimates ...Memory) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit := float64(SoftLimitFloor)
	for _, m := range estimates {
		limit = max(limit, SoftLimitFactor*m.Bytes)
	}
	if limit >= math.MaxInt64 {
		return 0
	}
	if current := debug.SetMemoryLimit(-1); current != math.MaxInt64 && current >= int64(limit) {
		return current
	}
	debug.SetMemoryLimit(int64(limit))
	return int64(limit)
}

// MachineMemory is the memory this process may use: the cgroup limit (memory.max) when there is one, else
// the machine's total (MemTotal of /proc/meminfo), with where the figure comes from; 0 when unknown.
func MachineMemory() (float64, string) {
	total, source := 0.0, ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					total, source = kb*1024, "MemTotal in /proc/meminfo"
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if limit, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err == nil && limit > 0 && (total == 0 || limit < total) {
			total, source = limit, "the cgroup's memory.max"
		}
	}
	return total, source
}

// Bytes writes a byte count for people (KiB to TiB, or an exponent beyond).
func Bytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	for i, u := range units {
		if b < 1024 || i == len(units)-1 {
			if i == len(units)-1 && b >= 1024 {
				return fmt.Sprintf("%.3g %s", b, u)
			}
			return fmt.Sprintf("%.1f %s", b, u)
		}
		b /= 1024
	}
	return ""
}

// Float32 reports whether v is finite in float32, the precision models compute in (|v| at most
// math.MaxFloat32; NaN is not).
func Float32(v float64) bool { return math.Abs(v) <= math.MaxFloat32 }

// PositiveFloat32 reports whether v is positive and finite in float32 and stays positive there (1e-50
// becomes 0).
func PositiveFloat32(v float64) bool { return Float32(v) && float32(v) > 0 }

// priorRowBytes is what one prior-chain row keeps per Langevin step in the compiled iteration: f_alpha's
// two hidden layers of width nef (activations and their gradients) and z.
func (c *Config) priorRowBytes() float64 {
	return Float32Bytes * (4*float64(c.EBMWidth) + 4*float64(c.ZDim))
}

// IterationMemory estimates the learning iteration's peak: params parameters trained with Adam, the
// prior chain's K0 + 1 steps of Batch rows, stepsKept posterior steps of Batch rows alive at once, a
// posterior row holding rowBytes per step (the family's generator, forward and backward) besides the
// prior's part, and both chains' noise (a z per row and step, the posterior chain unrolled to its longest,
// PosteriorGraphSteps, warm-up included). How many posterior steps stay alive depends on the generator's
// graph (measured: the text decoder's keep about all of them, the image generators' about 3), so the
// family says.
func (c *Config) IterationMemory(params, rowBytes, stepsKept float64, sizes string) Memory {
	rows := float64(c.Batch)
	noise := (float64(c.K0) + float64(c.PosteriorGraphSteps()) + 2) * rows * float64(c.ZDim) * Float32Bytes
	b := params*BytesPerParameter + (float64(c.K0)+1)*rows*c.priorRowBytes() + stepsKept*rows*(rowBytes+c.priorRowBytes()) + noise
	k1 := fmt.Sprintf("--k1 %d", c.K1)
	if c.K1WarmupIters > 0 {
		k1 += fmt.Sprintf(", --k1-warmup %d", c.K1Warmup)
	}
	return Memory{Bytes: b, What: fmt.Sprintf("the learning iteration (--batch %d, --k0 %d, %s, --z %d, --ebm-width %d%s)",
		c.Batch, c.K0, k1, c.ZDim, c.EBMWidth, sizes)}
}

// LogZMemory is what the estimate of log Z holds: f_alpha at each of m samples of N(0, I) (float64),
// named by the flag that sets m.
func LogZMemory(m int, flag string) Memory {
	return Memory{Bytes: 8 * float64(m), What: fmt.Sprintf("%s %d (samples of N(0, I) for log Z)", flag, m)}
}

// EBMParameters is the number of parameters of f_alpha (d -> nef -> nef -> 1; none for the gaussian prior).
func (c *Config) EBMParameters() float64 {
	if c.Prior != prior.EBM {
		return 0
	}
	d, w := float64(c.ZDim), float64(c.EBMWidth)
	return d*w + w + w*w + w + w + 1
}
