// Command lebm is the command-line interface of the lebm toolkit. See `lebm --help`.
//
// main.go runs it; root.go assembles the command line from one package per command
// (cmd/lebm/internal/...), each with an options struct, and the families of families.Standard.
package main
