// Package export is `lebm export`: a checkpoint's model as safetensors in PyTorch's layout.
package export
