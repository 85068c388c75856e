// Package train is `lebm train`: train a model of a registered family, checkpointing as it goes, and
// evaluate it on the test split at the end. The lifecycle is run.Train; this package parses and wires.
package train
