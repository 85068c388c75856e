package learn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// PersistentFile holds the persistent posterior chains in a checkpoint.
const PersistentFile = "persistent_chains.bin"

// persistentMagic starts a PersistentFile.
var persistentMagic = []byte("LEBMPZ1\n")

// Persistent holds one posterior chain state per training example (Config.PosteriorInit = "persistent"):
// a visit to example i starts its chain at Z[i] and stores the chain's end back there. Examples are
// keyed by their index in the training set, so the state follows the example through any shuffling of
// the batch order, and it is saved with checkpoints so that a resumed run continues every chain.
// An example not visited yet starts from N(0, I).
type Persistent struct {
	N, D int
	Z    []float32 // [N*D]
	Seen []bool    // [N]
}

// NewPersistent makes the store for n examples of dimension d.
func NewPersistent(n, d int) *Persistent {
	return &Persistent{N: n, D: d, Z: make([]float32, n*d), Seen: make([]bool, n)}
}

// Start returns the chains' starting points for the batch rows (example indices): the stored state of
// each visited example, a fresh N(0, I) draw (from rng, in row order) for the others.
func (p *Persistent) Start(rows []int, rng *rand.Rand) ([]float32, error) {
	z := make([]float32, len(rows)*p.D)
	for r, i := range rows {
		if i < 0 || i >= p.N {
			return nil, fmt.Errorf("persistent chains: row %d is example %d, outside the %d training examples", r, i, p.N)
		}
		if p.Seen[i] {
			copy(z[r*p.D:(r+1)*p.D], p.Z[i*p.D:(i+1)*p.D])
			continue
		}
		for j := 0; j < p.D; j++ {
			z[r*p.D+j] = float32(rng.NormFloat64())
		}
	}
	return z, nil
}

// Store saves the chains' end points z (flat [len(rows)*D]) for the batch rows. A row repeated within a
// batch (bucket filling) keeps its last chain.
func (p *Persistent) Store(rows []int, z []float32) {
	for r, i := range rows {
		copy(p.Z[i*p.D:(i+1)*p.D], z[r*p.D:(r+1)*p.D])
		p.Seen[i] = true
	}
}

// Visited counts the examples visited at least once.
func (p *Persistent) Visited() int {
	n := 0
	for _, s := range p.Seen {
		if s {
			n++
		}
	}
	return n
}

// MarshalBinary encodes the store: magic, N and D (uint32 little-endian), N seen bytes, N*D float32.
func (p *Persistent) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(persistentMagic)
	binary.Write(&buf, binary.LittleEndian, [2]uint32{uint32(p.N), uint32(p.D)})
	for _, s := range p.Seen {
		if s {
			buf.WriteByte(1)
		} else {
			buf.WriteByte(0)
		}
	}
	binary.Write(&buf, binary.LittleEndian, p.Z)
	return buf.Bytes(), nil
}

// UnmarshalPersistent decodes a store and checks it against the expected shape (n examples, dimension d).
// name is used in errors.
func UnmarshalPersistent(data []byte, n, d int, name string) (*Persistent, error) {
	if !bytes.HasPrefix(data, persistentMagic) {
		return nil, fmt.Errorf("%s: not a persistent-chain file (bad magic)", name)
	}
	data = data[len(persistentMagic):]
	if len(data) < 8 {
		return nil, fmt.Errorf("%s: truncated header", name)
	}
	gotN, gotD := int(binary.LittleEndian.Uint32(data)), int(binary.LittleEndian.Uint32(data[4:]))
	if gotN != n || gotD != d {
		return nil, fmt.Errorf("%s: holds %d chains of dimension %d, but the training set has %d examples and z has %d dimensions",
			name, gotN, gotD, n, d)
	}
	data = data[8:]
	if want := n + 4*n*d; len(data) != want {
		return nil, fmt.Errorf("%s: %d bytes of chain data, want %d", name, len(data), want)
	}
	p := NewPersistent(n, d)
	for i := range p.Seen {
		p.Seen[i] = data[i] == 1
	}
	data = data[n:]
	for i := range p.Z {
		v := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%s: chain %d holds a non-finite value", name, i/d)
		}
		p.Z[i] = v
	}
	return p, nil
}
