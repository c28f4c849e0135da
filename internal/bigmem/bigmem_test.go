package bigmem

import "testing"

func TestBytes(t *testing.T) {
	for _, n := range []int{0, 10, 1 << 21, 3<<20 + 5} {
		b, free := Bytes(n)
		if len(b) != n {
			t.Fatalf("Bytes(%d) has length %d", n, len(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("Bytes(%d)[%d] = %d, want zero", n, i, b[i])
			}
			b[i] = byte(i)
		}
		free()
	}
}
