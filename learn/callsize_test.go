package learn

import "testing"

// TestCallSize: a graph call takes the power of two at or above the work, at most the limit, so that a
// small evaluation is not padded to the limit.
func TestCallSize(t *testing.T) {
	for _, c := range []struct{ n, limit, want int }{{1, 16, 1}, {2, 16, 2}, {3, 16, 4}, {10, 16, 16}, {17, 16, 16}, {5, 6, 6}, {0, 16, 1}} {
		if got := CallSize(c.n, c.limit); got != c.want {
			t.Errorf("CallSize(%d, %d) = %d, want %d", c.n, c.limit, got, c.want)
		}
	}
}
