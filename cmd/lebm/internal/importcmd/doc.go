// Package importcmd is `lebm import`: a model in PyTorch's layout (model.safetensors + config.json) as a
// run directory the other commands read.
package importcmd
