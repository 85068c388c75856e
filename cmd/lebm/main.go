package main

import (
	"os"

	"github.com/lebm/lebm/cmd/lebm/cli"
)

func main() {
	os.Exit(cli.Execute(cli.Standard(), os.Args[1:], os.Stdout, os.Stderr))
}
