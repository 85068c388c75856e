package anomaly

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lebm/lebm/cmd/lebm/internal/clitest"
	"github.com/lebm/lebm/cmd/lebm/internal/clix"
	"github.com/lebm/lebm/cmd/lebm/internal/train"
)

// writeMNIST writes idx files of 28x28 images: class 0 a bright bar near the top of a dark image, class 2
// near the bottom, class 1 (the anomaly) an all-bright image.
func writeMNIST(t *testing.T, dir, prefix string, labels []byte) {
	t.Helper()
	img := make([]byte, 16)
	binary.BigEndian.PutUint32(img, 0x803)
	binary.BigEndian.PutUint32(img[4:], uint32(len(labels)))
	binary.BigEndian.PutUint32(img[8:], 28)
	binary.BigEndian.PutUint32(img[12:], 28)
	for i, l := range labels {
		for r := 0; r < 28; r++ {
			for c := 0; c < 28; c++ {
				v := byte(0)
				switch {
				case l == 1:
					v = 230
				case l == 0 && r >= 4+i%3 && r < 8+i%3 && c > 4 && c < 24:
					v = 255
				case l == 2 && r >= 18+i%3 && r < 22+i%3 && c > 4 && c < 24:
					v = 255
				}
				img = append(img, v)
			}
		}
	}
	lbl := make([]byte, 8)
	binary.BigEndian.PutUint32(lbl, 0x801)
	binary.BigEndian.PutUint32(lbl[4:], uint32(len(labels)))
	lbl = append(lbl, labels...)
	if err := os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lbl, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAnomalyProtocol trains a tiny MNIST-preset model without class 1 and checks that the held-out class
// (very unlike the training images) is detected: AUPRC near 1, far above chance.
func TestAnomalyProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	var train1, test1 []byte
	for i := 0; i < 90; i++ {
		train1 = append(train1, byte(i%3))
	}
	for i := 0; i < 30; i++ {
		test1 = append(test1, byte(i%3))
	}
	writeMNIST(t, dir, "train", train1)
	writeMNIST(t, dir, "t10k", test1)
	run := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	o := &train.Options{Family: "image", Preset: "mnist", Data: dir, Out: run, Quiet: true, NoEval: true, Stdout: &out, Stderr: &out}
	clitest.Set(t, o, "ngf=2 ebm-width=16 hold-out=1 z=4 k0=5 k1=10 iterations=25 batch=20 lr-gen=2e-3")
	if err := train.Run(o); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := Run(&Options{Checkpoint: run, Posterior: postFlags(), JSON: true, Quiet: true, Stdout: &stdout, Stderr: &out}); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Class, Images, Anomalies int
		AUPRC, Chance            float64
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err, stdout.String())
	}
	if res.Class != 1 || res.Images != 30 || res.Anomalies != 10 || res.Chance < 0.33 || res.Chance > 0.34 {
		t.Fatalf("protocol: %+v", res)
	}
	if res.AUPRC < 0.9 {
		t.Errorf("AUPRC %.3f for an anomaly class unlike anything in training (chance %.3f)", res.AUPRC, res.Chance)
	}
	// A model trained on every class needs --class.
	err := Run(&Options{Checkpoint: clitest.TinyImageRun(t, 1), Posterior: postFlags(), Quiet: true, Stdout: &stdout, Stderr: &out})
	if err == nil || !strings.Contains(err.Error(), "--class") {
		t.Errorf("no held-out class: %v", err)
	}
}

func postFlags() clix.PosteriorFlags { return clix.PosteriorFlags{Chains: 2, Seed: 1} }

func TestRefusesTextCheckpoint(t *testing.T) {
	var out bytes.Buffer
	err := Run(&Options{Checkpoint: clitest.TinyRun(t, 1), Posterior: postFlags(), Stdout: &out, Stderr: &out})
	if err == nil || !strings.Contains(err.Error(), "image checkpoint") {
		t.Fatalf("text checkpoint: %v", err)
	}
}

func TestFlagParsing(t *testing.T) {
	var got *Options
	cmd := NewCmd(&Options{}, func(o *Options) error { got = o; return nil })
	if _, err := clitest.Execute(cmd, "run", "--class", "7", "--chains", "3", "--images", "100", "--json"); err != nil {
		t.Fatal(err)
	}
	if got.Checkpoint != "run" || got.Class.Value != 7 || !got.Class.Given || got.Posterior.Chains != 3 || got.Images != 100 || !got.JSON {
		t.Fatalf("%+v", got)
	}
	cmd = NewCmd(&Options{}, func(o *Options) error { got = o; return nil })
	if _, err := clitest.Execute(cmd, "run"); err != nil || got.Posterior.Chains != 4 || got.Class.Given {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	if _, err := clitest.Execute(NewCmd(&Options{}, func(*Options) error { return nil })); err == nil {
		t.Error("missing checkpoint accepted")
	}
	if _, err := clitest.Execute(NewCmd(&Options{}, func(*Options) error { return nil }), "run", "--class", "-1"); err == nil ||
		!strings.Contains(err.Error(), "want a class label, 0 or more") {
		t.Errorf("--class -1: %v", err)
	}
}
