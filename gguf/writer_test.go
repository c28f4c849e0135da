package gguf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/internal/testutil"
)

// TestWriteToErrors fails the output after every possible number of bytes
// of a small file: WriteTo must report the error and never claim more bytes
// than were accepted.
func TestWriteToErrors(t *testing.T) {
	full := synthFile(t)
	for n := 0; n < len(full); n += 7 {
		w, _ := synthWriter(t, DefaultAlignment)
		var buf bytes.Buffer
		got, err := w.WriteTo(&testutil.LimitWriter{W: &buf, N: n})
		if !errors.Is(err, testutil.ErrWriteLimit) {
			t.Fatalf("limit %d: WriteTo error %v, want testutil.ErrWriteLimit", n, err)
		}
		if got != int64(buf.Len()) || got > int64(n) {
			t.Fatalf("limit %d: WriteTo returned %d, wrote %d", n, got, buf.Len())
		}
		if !bytes.Equal(buf.Bytes(), full[:buf.Len()]) {
			t.Fatalf("limit %d: written prefix differs", n)
		}
	}
}

// failAfter returns a tensor func that writes n zero bytes, then fails.
func failAfter(n int) func(io.Writer) error {
	return func(out io.Writer) error {
		if _, err := out.Write(make([]byte, n)); err != nil {
			return err
		}
		return testutil.ErrWriteLimit
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gguf")
	w, data := synthWriter(t, 64)
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ti, _ := f.Tensor("blk.0.attn_q.weight")
	if got, err := f.TensorData(ti); err != nil || !bytes.Equal(got, data[ti.Name]) {
		t.Fatalf("TensorData after WriteFile: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", st.Mode(), err)
	}
	assertOnly(t, dir, "model.gguf")
}

// TestWriteFileFailure makes a streamed tensor fail after various numbers
// of bytes: WriteFile must return the error, leave no temporary file and
// leave an existing file untouched.
func TestWriteFileFailure(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 300000} {
		dir := t.TempDir()
		fresh := filepath.Join(dir, "new.gguf")
		old := filepath.Join(dir, "old.gguf")
		if err := os.WriteFile(old, []byte("previous contents"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{fresh, old} {
			w, _ := synthWriter(t, DefaultAlignment)
			if err := w.AddTensorFunc("streamed", TypeF32, []uint64{100000}, failAfter(n)); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFile(path); !errors.Is(err, testutil.ErrWriteLimit) {
				t.Fatalf("fail after %d: WriteFile(%s) = %v, want testutil.ErrWriteLimit", n, path, err)
			}
		}
		assertOnly(t, dir, "old.gguf")
		if b, _ := os.ReadFile(old); string(b) != "previous contents" {
			t.Fatalf("fail after %d: existing file changed to %q", n, b)
		}
	}
	// An invalid writer fails before creating anything.
	dir := t.TempDir()
	w := NewWriter()
	w.SetAlignment(3)
	if err := w.WriteFile(filepath.Join(dir, "bad.gguf")); err == nil {
		t.Fatal("WriteFile with alignment 3: no error")
	}
	assertOnly(t, dir)
	// A missing directory is reported.
	if err := NewWriter().WriteFile(filepath.Join(dir, "no", "such", "dir.gguf")); err == nil {
		t.Fatal("WriteFile into a missing directory: no error")
	}
}

// assertOnly checks that dir holds exactly the named files.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("dir holds %q, want %q", got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("dir holds %q, want %q", got, names)
		}
	}
}
