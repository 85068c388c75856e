// Package cli is lebm's command line as a library: NewRootCmd(reg) builds the `lebm` command for the
// families of a registry, and Execute runs it with the exit status lebm's main uses. A program that adds
// its own generator family registers it beside lebm's (run.NewRegistry(text.Registration{},
// image.Registration{}, itsFamily)) and gets every command for it: train, resume, and whatever
// capabilities (run.Sampler, run.Evaluator, ...) its models implement.
package cli
