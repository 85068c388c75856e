package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/lebm/lebm/cmd/lebm/internal/families"
	"github.com/lebm/lebm/run"
)

func main() {
	if err := NewRootCmd(families.Standard()).Execute(); err != nil {
		var stopped *run.Interrupted
		if errors.As(err, &stopped) { // a signal stopped the command after it saved its work
			fmt.Fprintln(os.Stderr, err)
			os.Exit(stopped.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
