// Package optim trains one part of a model (the generator, the prior, ...) with GoMLX's Adam
// (ml/train/optimizer), one optimizer per part: each has its own learning rate, the paper's betas
// (0.5, 0.999), an optional global gradient-norm clip, and its state in the model's store, so that it is
// checkpointed and restored with the model.
//
// GoMLX's optimizers update the trainable variables of a scope; an Adam here owns the scope that holds
// exactly its part's variables (checked when it is created), clips the gradients itself and hands them to
// GoMLX's Adam. It creates Adam's state variables (moments, step counter, learning rate, GoMLX's global
// step) when it is created rather than when the update graph is first built, so that a checkpoint
// restores them before that graph exists and a checkpoint without them is refused. GoMLX's learning-rate
// variable is created from the configuration and saved with the rest; loading a checkpoint restores the
// same value, since hparams.json, the learning rates' source, cannot change them on --resume. Its global
// step counter advances once per optimizer per iteration (it is not
// lebm's iteration count, which the trainer state keeps).
package optim
