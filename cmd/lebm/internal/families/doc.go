// Package families is the one place in the command line that names the generator families: the registry
// cmd/lebm gives its commands (a command given none uses it).
package families
