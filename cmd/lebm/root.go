// root.go assembles the command line: one package per command (cmd/lebm/internal/...), each with an options struct.
package main

import (
	"github.com/lebm/lebm/cmd/lebm/internal/anomaly"
	"github.com/lebm/lebm/cmd/lebm/internal/evalcmd"
	"github.com/lebm/lebm/cmd/lebm/internal/interpolate"
	"github.com/lebm/lebm/cmd/lebm/internal/lm"
	"github.com/lebm/lebm/cmd/lebm/internal/plot"
	"github.com/lebm/lebm/cmd/lebm/internal/reconstruct"
	"github.com/lebm/lebm/cmd/lebm/internal/reproduce"
	"github.com/lebm/lebm/cmd/lebm/internal/sample"
	"github.com/lebm/lebm/cmd/lebm/internal/sweep"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/spf13/cobra"
)

// NewRootCmd returns the `lebm` command with its subcommands.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lebm",
		Short: "Latent-space energy-based prior models for text and images (Pang et al., NeurIPS 2020)",
		Long: `lebm trains and evaluates latent-variable text models whose prior p_alpha(z) ∝ exp(f_alpha(z)) N(0, I)
is an energy-based model, learned by maximum likelihood with short-run Langevin chains. The same prior
and sampler drive transposed-convolution image generators (train --family image).`,
		SilenceErrors: true, // main prints the error once
	}
	root.AddCommand(
		train.NewCmd(&train.Options{}, train.Run),
		evalcmd.NewCmd(&evalcmd.Options{}, evalcmd.Run),
		sample.NewCmd(&sample.Options{}, sample.Run),
		reconstruct.NewCmd(&reconstruct.Options{}, reconstruct.Run),
		interpolate.NewCmd(&interpolate.Options{}, interpolate.Run),
		lm.NewCmd(lm.RunTrain, lm.RunEval),
		plot.NewCmd(&plot.Options{}, plot.Run),
		sweep.NewCmd(&sweep.Options{}, sweep.Run),
		reproduce.NewCmd(&reproduce.Options{}, reproduce.Run),
		anomaly.NewCmd(&anomaly.Options{}, anomaly.Run),
	)
	return root
}
