// Command lebm is the command-line interface of the lebm toolkit. See `lebm --help`.
package main

import (
	"fmt"
	"os"

	"github.com/lebm/lebm/internal/cli"
)

func main() {
	if err := cli.NewRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
