// Command lebm is the command-line interface of the lebm toolkit. See `lebm --help`.
//
// The command line itself is the package cli (cmd/lebm/cli), one package per command below
// cmd/lebm/internal; main runs it for lebm's own families.
package main
