// Package nn holds the small building blocks shared by the model packages: variable creation with
// initial values drawn on the host from a seeded generator (so that initialisation is reproducible and
// independent of the backend), and activation helpers.
package nn
