// Package lebm is a toolkit for latent-variable models whose prior is an energy-based model in latent
// space (Pang et al., NeurIPS 2020). Its layout is its architecture:
//
//	prior, sampler, learn   the core: f_alpha and log Z, short-run Langevin, the learning iteration and estimators
//	ckpt                    checkpoints: manifest, atomic writes, locks
//	run                     the product seam: family registry, capabilities, the run lifecycle
//	text, image             the generator families (each registers a run.Family)
//	corpora                 data readers; they know no model
//	cmd/lebm                the command line (its commands in cmd/lebm/internal)
//	internal                helpers no user imports (GoMLX adaptation, Adam, layers, plots, text metrics)
//
// layout_test.go enforces the import rules between them.
package lebm
