package learn

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestPersistentStartStore: unvisited examples start from N(0, I) draws, visited ones from their stored end,
// whatever the row order; a repeated row keeps its last chain.
func TestPersistentStartStore(t *testing.T) {
	p := NewPersistent(5, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	p.Store([]int{3, 1, 3}, []float32{1, 1, 2, 2, 3, 3})
	z, err := p.Start([]int{1, 0, 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if z[0] != 2 || z[1] != 2 || z[4] != 3 || z[5] != 3 {
		t.Fatalf("stored states not returned: %v", z)
	}
	if z[2] == 0 && z[3] == 0 {
		t.Fatal("unvisited example did not get a fresh draw")
	}
	if p.Visited() != 2 {
		t.Fatalf("visited %d, want 2", p.Visited())
	}
	if _, err := p.Start([]int{5}, rng); err == nil {
		t.Fatal("an out-of-range example must be an error")
	}
}

// TestPersistentFileErrors: corrupt or mismatched chain files are refused with the file's name.
func TestPersistentFileErrors(t *testing.T) {
	p := NewPersistent(3, 2)
	p.Store([]int{0}, []float32{1, 2})
	good, _ := p.MarshalBinary()
	back, err := UnmarshalPersistent(good, 3, 2, "f.bin")
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip: %v", err)
	}
	for name, c := range map[string]struct {
		data []byte
		n, d int
		want string
	}{
		"bad magic":  {append([]byte("XXXXXXX\n"), good[8:]...), 3, 2, "bad magic"},
		"truncated":  {good[:len(good)-3], 3, 2, "bytes of chain data"},
		"other size": {good, 4, 2, "training set has 4"},
		"header":     {good[:10], 3, 2, "truncated header"},
	} {
		_, err := UnmarshalPersistent(c.data, c.n, c.d, "f.bin")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "f.bin") {
			t.Errorf("%s: got %v, want an error naming f.bin and %q", name, err, c.want)
		}
	}
}
