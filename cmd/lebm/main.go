// Command lebm is the command-line interface of the lebm toolkit. See `lebm --help`.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/lebm/lebm/internal/cli"
)

func main() {
	if err := cli.NewRootCmd().Execute(); err != nil {
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) { // a signal stopped the command after it saved its work
			fmt.Fprintln(os.Stderr, err)
			os.Exit(coded.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
