package ckpt

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
)

// Model checkpoints: hparams.json and state.json, and the generator family they record.

// ReadJSON decodes the JSON file at path into v; a decoding error names the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: invalid JSON: %w", path, err)
	}
	return nil
}

// Files every model checkpoint holds besides the variables: the hyperparameters and run information,
// and the trainer's state.
const (
	HParamsFile = "hparams.json"
	StateFile   = "state.json"
)

// SaveRun writes a model checkpoint of step into runDir (Save): the variables of scope's store, info as
// hparams.json, state as state.json, and the extra files; it keeps the newest keep checkpoints.
func SaveRun(runDir string, step int, scope *model.Scope, info, state any, extra map[string][]byte, keep int) (string, error) {
	hp, err := json.MarshalIndent(info, "", " ")
	if err != nil {
		return "", err
	}
	st, err := json.MarshalIndent(state, "", " ")
	if err != nil {
		return "", err
	}
	files := map[string][]byte{HParamsFile: hp, StateFile: st}
	maps.Copy(files, extra)
	return Save(runDir, step, scope, files, keep)
}

// ReadRun decodes the hparams.json and state.json of a checkpoint directory that Open has verified.
func ReadRun(dir string, info, state any) error {
	if err := ReadJSON(filepath.Join(dir, HParamsFile), info); err != nil {
		return err
	}
	return ReadJSON(filepath.Join(dir, StateFile), state)
}

// FamilyText is the family of checkpoints whose hparams.json names none (the oldest text checkpoints).
const FamilyText = "text"

// Family reads the generator family a verified checkpoint directory names in its hparams.json ("family";
// text when absent).
func Family(dir string) (string, error) {
	var probe struct {
		Family string `json:"family"`
	}
	if err := ReadJSON(filepath.Join(dir, HParamsFile), &probe); err != nil {
		return "", err
	}
	return familyOf(probe.Family), nil
}

// familyOf is the family an hparams.json "family" field names (text when empty).
func familyOf(recorded string) string {
	if recorded == "" {
		return FamilyText
	}
	return recorded
}

// CheckFamily refuses a checkpoint directory whose recorded family (its hparams.json field, empty in the oldest
// text checkpoints) is not want.
func CheckFamily(dir, recorded, want string) error {
	if fam := familyOf(recorded); fam != want {
		return fmt.Errorf("checkpoint %s holds a %q model, not a %q model", dir, fam, want)
	}
	return nil
}
