package ckpt

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/nlpodyssey/safetensors"
)

// Models in PyTorch's layout: a model's variables as the state_dict of the equivalent PyTorch modules,
// written to and read from a safetensors file (github.com/nlpodyssey/safetensors).

// SafetensorsFile is the tensors file of an exported model (Hugging Face's name).
const SafetensorsFile = "model.safetensors"

// Tensor is a float32 tensor in row-major order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// TorchTensor says how one tensor of a PyTorch state_dict is made of lebm variables and back:
//
//	export: concatenate Vars along their first axis (lebm's layout), then permute the axes by Perm
//	import: the inverse permutation, then split along the first axis into Vars
//
// Perm nil leaves the axes as they are; [1 0] turns a lebm weight [in, out] into nn.Linear's [out, in].
// A tensor with AddTo set instead of Vars is one PyTorch has and lebm folds into another variable (an
// LSTM's bias_hh, which lebm keeps summed with bias_ih): it is exported as zeros of AddTo's shape and
// added to AddTo on import, after AddTo's own tensor (list it later).
type TorchTensor struct {
	Name  string
	Vars  []*model.Variable
	Perm  []int
	AddTo *model.Variable
}

// shapeOf is the PyTorch shape of t (lebm's variables concatenated, then permuted).
func (t TorchTensor) shapeOf() ([]int, error) {
	if t.AddTo != nil {
		return t.AddTo.Shape().Dimensions, nil
	}
	var dims []int
	for i, v := range t.Vars {
		d := v.Shape().Dimensions
		switch {
		case i == 0:
			dims = slices.Clone(d)
		case len(d) != len(dims) || !slices.Equal(d[1:], dims[1:]):
			return nil, fmt.Errorf("%s: variables %v cannot be concatenated", t.Name, t.Vars)
		default:
			dims[0] += d[0]
		}
	}
	return permuteDims(dims, t.Perm), nil
}

func permuteDims(dims, perm []int) []int {
	if perm == nil {
		return dims
	}
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = dims[p]
	}
	return out
}

// permute returns data of shape dims with its axes permuted by perm (out axis i = in axis perm[i]).
func permute(data []float32, dims, perm []int) []float32 {
	if perm == nil {
		return slices.Clone(data)
	}
	outDims := permuteDims(dims, perm)
	inStride := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		inStride[i], s = s, s*dims[i]
	}
	out := make([]float32, len(data))
	idx := make([]int, len(outDims)) // index in the output
	for o := range out {
		in := 0
		for i, p := range perm {
			in += idx[i] * inStride[p]
		}
		out[o] = data[in]
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < outDims[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// inverse is the permutation that undoes perm.
func inverse(perm []int) []int {
	if perm == nil {
		return nil
	}
	inv := make([]int, len(perm))
	for i, p := range perm {
		inv[p] = i
	}
	return inv
}

func values(v *model.Variable) ([]float32, error) {
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](t)
}

// ExportTorch returns the state_dict of specs from the variables' current values.
func ExportTorch(specs []TorchTensor) (map[string]Tensor, error) {
	out := map[string]Tensor{}
	for _, t := range specs {
		dims, err := t.shapeOf()
		if err != nil {
			return nil, err
		}
		if t.AddTo != nil {
			out[t.Name] = Tensor{Shape: dims, Data: make([]float32, t.AddTo.Shape().Size())}
			continue
		}
		var data []float32
		for _, v := range t.Vars {
			vals, err := values(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.Name, err)
			}
			data = append(data, vals...)
		}
		lebmDims := permuteDims(dims, inverse(t.Perm))
		out[t.Name] = Tensor{Shape: dims, Data: permute(data, lebmDims, t.Perm)}
	}
	return out, nil
}

// ImportTorch sets the variables of specs from a state_dict read from file (named in errors): every tensor
// of specs must be there with its shape and finite values, and no other.
func ImportTorch(file string, specs []TorchTensor, state map[string]Tensor) error {
	if err := checkSpecs(specs); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, t := range specs {
		known[t.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(state)) {
		if !known[name] {
			return fmt.Errorf("%s: tensor %q is not one of this model's (expected %v)", file, name, names(specs))
		}
	}
	for _, t := range specs {
		got, ok := state[t.Name]
		if !ok {
			return fmt.Errorf("%s: tensor %q is missing", file, t.Name)
		}
		dims, err := t.shapeOf()
		if err != nil {
			return err
		}
		if !slices.Equal(got.Shape, dims) {
			return fmt.Errorf("%s: tensor %q has shape %v, expected %v (PyTorch's layout for this configuration)", file, t.Name, got.Shape, dims)
		}
		for i, x := range got.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s: tensor %q holds %v at flat index %d, expected finite values", file, t.Name, x, i)
			}
		}
		if err := t.set(got); err != nil {
			return fmt.Errorf("%s: tensor %q: %w", file, t.Name, err)
		}
	}
	return nil
}

// checkSpecs refuses specs that ImportTorch cannot apply: an AddTo with a Perm (the sum is taken in
// lebm's layout), or one listed before a tensor that sets its variable.
func checkSpecs(specs []TorchTensor) error {
	set := map[*model.Variable]bool{}
	for _, t := range specs {
		for _, v := range t.Vars {
			set[v] = true
		}
		if t.AddTo != nil && (t.Perm != nil || !set[t.AddTo]) {
			return fmt.Errorf("tensor %s: a tensor added to a variable takes no permutation and comes after the tensor that sets it", t.Name)
		}
	}
	return nil
}

// set writes a PyTorch tensor of t's shape into t's variables.
func (t TorchTensor) set(got Tensor) error {
	if t.AddTo != nil {
		cur, err := values(t.AddTo)
		if err != nil {
			return err
		}
		for i := range cur {
			cur[i] += got.Data[i]
		}
		return t.AddTo.SetValue(tensors.FromFlatDataAndDimensions(cur, t.AddTo.Shape().Dimensions...))
	}
	data := permute(got.Data, got.Shape, inverse(t.Perm))
	for _, v := range t.Vars {
		n := v.Shape().Size()
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(slices.Clone(data[:n]), v.Shape().Dimensions...)); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func names(specs []TorchTensor) []string {
	var out []string
	for _, t := range specs {
		out = append(out, t.Name)
	}
	return out
}

// WriteSafetensors writes tensors (float32, little-endian) and metadata as a safetensors file, atomically.
func WriteSafetensors(path string, ts map[string]Tensor, metadata map[string]string) error {
	views := map[string]safetensors.TensorView{}
	for name, t := range ts {
		data := make([]byte, 0, 4*len(t.Data))
		for _, x := range t.Data {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
		}
		shape := make([]uint64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = uint64(d)
		}
		v, err := safetensors.NewTensorView(safetensors.F32, shape, data)
		if err != nil {
			return fmt.Errorf("%s: tensor %q: %w", path, name, err)
		}
		views[name] = v
	}
	b, err := safetensors.Serialize(views, metadata)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteAtomic(path, b)
}

// ReadSafetensors reads a safetensors file of float32 tensors (F64, F16 and BF16 are refused naming the
// tensor: lebm computes in float32 and converts nothing silently) and its metadata.
func ReadSafetensors(path string) (map[string]Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := safetensors.Deserialize(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a safetensors file (an 8-byte header length, a JSON header, the data): %w", path, err)
	}
	_, meta, _ := safetensors.ReadMetadata(b)
	out := map[string]Tensor{}
	for _, nt := range st.Tensors() {
		v := nt.TensorView
		if v.DType() != safetensors.F32 {
			return nil, nil, fmt.Errorf("%s: tensor %q is %s, expected F32 (save the model in float32: model.float())", path, nt.Name, v.DType())
		}
		shape := make([]int, len(v.Shape()))
		for i, d := range v.Shape() {
			if d > math.MaxInt32 {
				return nil, nil, fmt.Errorf("%s: tensor %q has dimension %d, too large", path, nt.Name, d)
			}
			shape[i] = int(d)
		}
		raw := v.Data()
		data := make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		out[nt.Name] = Tensor{Shape: shape, Data: data}
	}
	return out, meta.Metadata(), nil
}
