package engine

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// paramsBackend wraps a backend so that GoMLX passes model variables to every graph as parameters.
//
// The Go backend of compute v0.1.14 declares PreferConstantsForVariables, and GoMLX (from v0.28.6,
// ml/model.Variable.paramNode) then bakes the current value of every variable into each graph not
// marked as training, as a constant. An update in such a graph (Variable.SetNodeValue) is computed, but
// the next execution of the same compiled graph starts again from the baked values (measured with
// v0.28.16: Adam's step counter stayed at 1 after two updates, no model learned), and a chain or
// evaluation graph compiled once and executed after an update would see the old weights. lebm compiles a
// graph once and executes it across updates (the learning iteration, the chains, evaluation during
// training), so its variables are always parameters, as on every backend before v0.28.6.
//
// Only Capabilities changes. The rest is plumbing GoMLX requires of a wrapper: a tensor remembers the
// backend of the buffer it came from (Buffer.Backend) and refuses to be used with another, so the buffers
// this backend hands out name it, and its executables unwrap them before the wrapped backend reads them.
type paramsBackend struct{ compute.Backend }

func withVariablesAsParameters(b compute.Backend) compute.Backend { return &paramsBackend{b} }

// Capabilities are the wrapped backend's, with PreferConstantsForVariables off.
func (b *paramsBackend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities()
	c.PreferConstantsForVariables = false
	return c
}

func (b *paramsBackend) Builder(name string) compute.Builder {
	return paramsBuilder{Builder: b.Backend.Builder(name), b: b}
}

func (b *paramsBackend) BufferFromFlatData(deviceNum compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := b.Backend.BufferFromFlatData(deviceNum, flat, shape)
	return b.wrap(buf), err
}

func (b *paramsBackend) NewSharedBuffer(deviceNum compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := b.Backend.NewSharedBuffer(deviceNum, shape)
	return b.wrap(buf), flat, err
}

func (b *paramsBackend) wrap(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	return paramsBuffer{Buffer: buf, b: b}
}

// unwrap returns the wrapped backend's buffer behind buf (buf itself if it is not one of ours).
func unwrap(buf compute.Buffer) compute.Buffer {
	if w, ok := buf.(paramsBuffer); ok {
		return w.Buffer
	}
	return buf
}

type paramsBuffer struct {
	compute.Buffer
	b *paramsBackend
}

func (p paramsBuffer) Backend() compute.Backend { return p.b }

func (p paramsBuffer) CopyToDevice(deviceNum compute.DeviceNum) (compute.Buffer, error) {
	buf, err := p.Buffer.CopyToDevice(deviceNum)
	return p.b.wrap(buf), err
}

type paramsBuilder struct {
	compute.Builder
	b *paramsBackend
}

func (p paramsBuilder) Compile() (compute.Executable, error) {
	e, err := p.Builder.Compile()
	if err != nil {
		return nil, err
	}
	return paramsExecutable{Executable: e, b: p.b}, nil
}

type paramsExecutable struct {
	compute.Executable
	b *paramsBackend
}

func (p paramsExecutable) Execute(inputs []compute.Buffer, donate []bool, device compute.DeviceNum) ([]compute.Buffer, error) {
	in := make([]compute.Buffer, len(inputs))
	for i, buf := range inputs {
		in[i] = unwrap(buf)
	}
	out, err := p.Executable.Execute(in, donate, device)
	for i := range out {
		out[i] = p.b.wrap(out[i])
	}
	return out, err
}
