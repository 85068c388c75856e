package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/lebm/lebm/cmd/lebm/internal/anomaly"
	"github.com/lebm/lebm/cmd/lebm/internal/evalcmd"
	"github.com/lebm/lebm/cmd/lebm/internal/export"
	"github.com/lebm/lebm/cmd/lebm/internal/families"
	"github.com/lebm/lebm/cmd/lebm/internal/importcmd"
	"github.com/lebm/lebm/cmd/lebm/internal/interpolate"
	"github.com/lebm/lebm/cmd/lebm/internal/lm"
	"github.com/lebm/lebm/cmd/lebm/internal/plot"
	"github.com/lebm/lebm/cmd/lebm/internal/reconstruct"
	"github.com/lebm/lebm/cmd/lebm/internal/reproduce"
	"github.com/lebm/lebm/cmd/lebm/internal/sample"
	"github.com/lebm/lebm/cmd/lebm/internal/sweep"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
	"github.com/lebm/lebm/run"
	"github.com/spf13/cobra"
)

// NewRootCmd returns the `lebm` command with its subcommands, serving the families of reg (lebm's own
// main passes Standard(); a test or another program registers its own family beside them). lm, sweep
// and reproduce are text commands by purpose and use the text family directly.
func NewRootCmd(reg *run.Registry) *cobra.Command {
	root := &cobra.Command{
		Use:   "lebm",
		Short: "Latent-space energy-based prior models for text and images (Pang et al., NeurIPS 2020)",
		Long: `lebm trains and evaluates latent-variable text models whose prior p_alpha(z) ∝ exp(f_alpha(z)) N(0, I)
is an energy-based model, learned by maximum likelihood with short-run Langevin chains. The same prior
and sampler drive transposed-convolution image generators (train --family image).`,
		SilenceErrors: true, // main prints the error once
	}
	root.AddCommand(
		train.NewCmd(&train.Options{Families: reg}, train.Run),
		evalcmd.NewCmd(&evalcmd.Options{Families: reg}, evalcmd.Run),
		sample.NewCmd(&sample.Options{Families: reg}, sample.Run),
		reconstruct.NewCmd(&reconstruct.Options{Families: reg}, reconstruct.Run),
		interpolate.NewCmd(&interpolate.Options{Families: reg}, interpolate.Run),
		lm.NewCmd(lm.RunTrain, lm.RunEval),
		plot.NewCmd(&plot.Options{Families: reg}, plot.Run),
		sweep.NewCmd(&sweep.Options{}, sweep.Run),
		reproduce.NewCmd(&reproduce.Options{}, reproduce.Run),
		anomaly.NewCmd(&anomaly.Options{Families: reg}, anomaly.Run),
		export.NewCmd(&export.Options{Families: reg}, export.Run),
		importcmd.NewCmd(&importcmd.Options{Families: reg}, importcmd.Run),
	)
	return root
}

// Standard is the registry of lebm's own families, text (the default) and image.
func Standard() *run.Registry { return families.Standard() }

// Execute runs the command line of reg with args and returns the process's exit status: 0, the
// conventional 128 + signal number when a signal stopped the command after it saved its work, 1 on
// another error (printed on stderr).
func Execute(reg *run.Registry, args []string, stdout, stderr io.Writer) int {
	root := NewRootCmd(reg)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		var stopped *run.Interrupted
		if errors.As(err, &stopped) {
			fmt.Fprintln(stderr, err)
			return stopped.ExitCode()
		}
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
