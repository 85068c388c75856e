package image

import (
	"fmt"
	goimage "image"
	"os"
	"path/filepath"

	"github.com/lebm/lebm/learn"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/examples/inceptionv3"
	"github.com/gomlx/gomlx/ml/model"
	"golang.org/x/image/draw"
)

// InceptionSize is the side images are resized to (bilinear) before Inception-v3, as FID does.
const InceptionSize = 299

// Inception computes Inception-v3 pool features (2048 per image, the global average pool before the
// classifier) with GoMLX's Inception-v3 (examples/inceptionv3, the Keras architecture) and the Keras
// ImageNet weights: https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/
// inception_v3_weights_tf_dim_ordering_tf_kernels.h5. dir holds that file as weights.h5; it is
// unpacked once into dir/gomlx_weights (this needs the h5dump program: Debian package hdf5-tools).
// These are not the TF-slim weights of the reference FID code, so FIDs are comparable between lebm runs,
// not to published numbers.
type Inception struct {
	exec *model.Exec
	size int // side of the network's input (InceptionSize; tests use less)
}

// NewInception loads the weights from dir (unpacking them if needed).
func NewInception(backend compute.Backend, dir string) (*Inception, error) {
	unpacked := filepath.Join(dir, inceptionv3.UnpackedWeightsName)
	if _, err := os.Stat(unpacked); err != nil {
		if _, err := os.Stat(filepath.Join(dir, inceptionv3.WeightsH5Name)); err != nil {
			return nil, fmt.Errorf("--inception %s: neither %s nor %s (download %s and save it as %s)", dir,
				inceptionv3.UnpackedWeightsName, inceptionv3.WeightsH5Name, inceptionv3.WeightsURL, filepath.Join(dir, inceptionv3.WeightsH5Name))
		}
		if err := inceptionv3.DownloadAndUnpackWeights(dir); err != nil { // verifies the checksum, then unpacks
			return nil, fmt.Errorf("--inception %s: %w", dir, err)
		}
	}
	return newInception(backend, dir)
}

// newInception builds the feature extractor; dir "" gives random (untrained) weights, for tests of the
// graph itself.
func newInception(backend compute.Backend, dir string) (*Inception, error) {
	scope := model.NewStore().RootScope()
	exec, err := model.NewExec(backend, scope.Store(), func(scope *model.Scope, x *graph.Node) *graph.Node {
		cfg := inceptionv3.BuildGraph(scope, x).SetPooling(inceptionv3.MeanPooling)
		if dir != "" {
			cfg = cfg.PreTrained(dir).Trainable(false)
		}
		return cfg.Done()
	})
	if err != nil {
		return nil, err
	}
	return &Inception{exec: exec, size: InceptionSize}, nil
}

// Features returns the pool features of n images (flat [n*h*w*c] in [-1, 1]; gray images are repeated
// over 3 channels), each resized to InceptionSize.
func (inc *Inception) Features(imgs []float32, n, h, w, c int) ([][]float64, error) {
	s := inc.size
	in := make([]float32, n*s*s*3)
	src := goimage.NewRGBA(goimage.Rect(0, 0, w, h))
	dst := goimage.NewRGBA(goimage.Rect(0, 0, s, s))
	for i := 0; i < n; i++ {
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < 3; ch++ {
				v := imgs[(i*h*w+p)*c+min(ch, c-1)]
				src.Pix[4*p+ch] = uint8(max(0, min(255, (float64(v)+1)*127.5+0.5)))
			}
			src.Pix[4*p+3] = 255
		}
		draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
		for p := 0; p < s*s; p++ {
			for ch := 0; ch < 3; ch++ {
				in[(i*s*s+p)*3+ch] = float32(dst.Pix[4*p+ch])/127.5 - 1
			}
		}
	}
	out, err := inc.exec.Exec(tensors.FromFlatDataAndDimensions(in, n, s, s, 3))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](out[0])
	return learn.Rows(flat, n, len(flat)/n), nil
}
