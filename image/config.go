package image

import (
	"fmt"
	"maps"
	"slices"

	"github.com/lebm/lebm/internal/engine"
	"github.com/lebm/lebm/learn"
	"github.com/lebm/lebm/prior"
)

// Layer is one transposed convolution of a generator: kernel K, stride S, padding P, Out channels.
type Layer struct{ K, S, P, Out int }

// Config holds every hyperparameter of an image model and its training; it is stored in the checkpoint
// (hparams.json), so that eval, sample, reconstruct and anomaly need no architecture flags. The prior,
// chain, optimizer and run hyperparameters are the families' shared learn.Config (inlined in the JSON).
type Config struct {
	Preset string `json:"preset"`

	// Architecture.
	Arch     string  `json:"arch"` // generator layout: svhn, cifar10, celeba, mnist or embedded (see Layers)
	Height   int     `json:"height"`
	Width    int     `json:"width"`
	Channels int     `json:"channels"`
	NGF      int     `json:"ngf"`   // generator feature width (Table 2)
	Sigma    float64 `json:"sigma"` // standard deviation of the Gaussian likelihood

	// Data.
	HoldOut int `json:"hold_out"` // class left out of training (MNIST anomaly protocol); -1 = none

	learn.Config
}

// Defaults from DESIGN.md and the authors' image code, besides the chains' and Adam's betas (learn.Default*).
const (
	DefaultSigma   = 0.3  // likelihood standard deviation
	GenSlope       = 0.1  // LeakyReLU slope of the generator
	DefaultLRGen   = 1e-4 // generator Adam learning rate (images)
	DefaultLRPrior = 2e-5 // prior Adam learning rate (images)
	DefaultBatch   = 100
)

func base() Config {
	return Config{Sigma: DefaultSigma, HoldOut: -1, Config: learn.Config{
		Prior: prior.EBM, EBMWidth: prior.DefaultWidth,
		K0: learn.DefaultK0, S0: learn.DefaultS0, K1: learn.DefaultK1, S1: learn.DefaultS1,
		LRGen: DefaultLRGen, LRPrior: DefaultLRPrior, Beta1: learn.DefaultBeta1, Beta2: learn.DefaultBeta2,
		Batch: DefaultBatch, Iterations: 50000, Seed: 1, SaveEvery: 1000, Keep: learn.DefaultKeep, LogEvery: 50,
	}}
}

// Presets: Table 2 of the paper (SVHN ngf 64, z 100; CIFAR-10 ngf 128, z 128, K1 = 40 from Table 1;
// CelebA 64x64 ngf 128, z 100; all nef 200), an MNIST-sized generator for the anomaly protocol (the
// toolkit's choice: ngf 16, z 16), and "embedded", a small model for the embedded shapes that trains on
// 2 CPU cores in minutes.
var Presets = map[string]func() Config{
	"svhn": func() Config {
		c := base()
		c.Preset, c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim = "svhn", "svhn", 32, 32, 3, 64, 100
		return c
	},
	"cifar10": func() Config {
		c := base()
		c.Preset, c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim = "cifar10", "cifar10", 32, 32, 3, 128, 128
		c.K1 = 40
		return c
	},
	"celeba": func() Config {
		c := base()
		c.Preset, c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim = "celeba", "celeba", 64, 64, 3, 128, 100
		return c
	},
	"mnist": func() Config {
		c := base()
		c.Preset, c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim = "mnist", "mnist", 28, 28, 1, 16, 16
		c.Iterations = 20000
		return c
	},
	"embedded": func() Config {
		c := base()
		c.Preset, c.Arch, c.Height, c.Width, c.Channels, c.NGF, c.ZDim = "embedded", "embedded", 16, 16, 3, 16, 16
		c.Batch, c.Iterations, c.SaveEvery, c.LogEvery = 50, 400, 100, 10
		c.LRGen, c.LRPrior = 1e-3, 1e-4 // a small model on a small set: the image defaults learn too slowly for minutes on CPU
		return c
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string { return slices.Sorted(maps.Keys(Presets)) }

// Preset returns the named preset.
func Preset(name string) (Config, error) {
	f, ok := Presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown image preset %q (expected one of %v)", name, PresetNames())
	}
	return f(), nil
}

// Layers returns the generator's transposed convolutions, input z as a 1x1 image with ZDim channels.
// g = ngf:
//
//	svhn     (32x32): 4x4 s1 p0 -> 8g (4x4), 4x4 s2 p1 -> 4g (8), -> 2g (16), -> C (32)
//	cifar10  (32x32): 8x8 s1 p0 -> 8g (8x8), 4x4 s2 p1 -> 4g (16), -> 2g (32), 3x3 s1 p1 -> C (32)
//	celeba   (64x64): 4x4 s1 p0 -> 8g (4x4), 4x4 s2 p1 -> 4g, 2g, g, C (8, 16, 32, 64)
//	mnist    (28x28): 4x4 s1 p0 -> 4g (4x4), 3x3 s2 p1 -> 2g (7), 4x4 s2 p1 -> g (14), -> C (28)
//	embedded (16x16): 4x4 s1 p0 -> 4g (4x4), 4x4 s2 p1 -> 2g (8), -> C (16)
func (c *Config) Layers() ([]Layer, error) {
	g, C := c.NGF, c.Channels
	var ls []Layer
	switch c.Arch {
	case "svhn":
		ls = []Layer{{4, 1, 0, 8 * g}, {4, 2, 1, 4 * g}, {4, 2, 1, 2 * g}, {4, 2, 1, C}}
	case "cifar10":
		ls = []Layer{{8, 1, 0, 8 * g}, {4, 2, 1, 4 * g}, {4, 2, 1, 2 * g}, {3, 1, 1, C}}
	case "celeba":
		ls = []Layer{{4, 1, 0, 8 * g}, {4, 2, 1, 4 * g}, {4, 2, 1, 2 * g}, {4, 2, 1, g}, {4, 2, 1, C}}
	case "mnist":
		ls = []Layer{{4, 1, 0, 4 * g}, {3, 2, 1, 2 * g}, {4, 2, 1, g}, {4, 2, 1, C}}
	case "embedded":
		ls = []Layer{{4, 1, 0, 4 * g}, {4, 2, 1, 2 * g}, {4, 2, 1, C}}
	default:
		return nil, fmt.Errorf("unknown generator layout %q (expected svhn, cifar10, celeba, mnist or embedded)", c.Arch)
	}
	size := 1
	for _, l := range ls {
		size = engine.ConvTransposeSize(size, l.K, l.S, l.P)
	}
	if size != c.Height || size != c.Width {
		return nil, fmt.Errorf("generator layout %q makes %dx%d images, the configuration says %dx%d", c.Arch, size, size, c.Height, c.Width)
	}
	return ls, nil
}

// Pixels is H*W*C.
func (c *Config) Pixels() int { return c.Height * c.Width * c.Channels }

// Validate checks that the configuration is usable: the shared hyperparameters, then the image family's.
func (c *Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	var v learn.Validation
	v.Require(c.NGF > 0, "--ngf must be positive, got %d", c.NGF)
	v.Require(c.Channels == 1 || c.Channels == 3, "channels must be 1 or 3, got %d", c.Channels)
	v.Require(learn.PositiveFloat32(c.Sigma), "--sigma must be positive and finite in float32, got %v", c.Sigma)
	v.Require(c.HoldOut >= -1, "--hold-out must be -1 (none) or a class label, got %d", c.HoldOut)
	v.Require(!c.HasEncoder(), "the image family has no inference network: --posterior-init encoder is for text")
	if err := v.Err("invalid configuration"); err != nil {
		return err
	}
	_, err := c.Layers()
	return err
}
