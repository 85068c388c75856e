package text

import "github.com/lebm/lebm/run"

// Run is an opened text checkpoint (run.Model): the model, what the run recorded about its data, the
// training state and the checkpoint directory. Its capabilities are in capabilities.go.
type Run struct {
	Model *Model
	Info  RunInfo
	State TrainState
	Dir   string
}

// Hyperparameters are the model's configuration.
func (r *Run) Hyperparameters() run.Config { return &r.Model.Config }

func (r *Run) String() string { return r.Model.String() }
