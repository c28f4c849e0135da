package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file builds a safetensors image from a raw header string and n data bytes.
func file(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // substring of the error
	}{
		{"empty", nil, "too short"},
		{"short length", []byte{1, 2, 3}, "too short"},
		{"huge length", binary.LittleEndian.AppendUint64(nil, 1<<40), "exceeds the limit"},
		{"truncated header", binary.LittleEndian.AppendUint64(nil, 100), "runs past the end"},
		{"not object", file(`[1,2]`, 0), "does not start with"},
		{"bad json", file(`{"a":`, 0), "header JSON"},
		{"trailing", file(`{} x`, 0), "trailing bytes"},
		{"unknown dtype", file(`{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, 1), `tensor "a": unknown dtype "Q4"`},
		{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,1]}}`, 1), "missing dtype"},
		{"missing shape", file(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, 1), "missing shape"},
		{"negative dim", file(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, 1), "shape[0]"},
		{"float dim", file(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, 1), "shape[0]"},
		{"size mismatch", file(`{"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]}}`, 10), "needs 12 bytes"},
		{"past end", file(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, 3), "run past the end"},
		{"reversed", file(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4), "reversed"},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}`, 4), `"a" and "b" overlap`},
		{"duplicate", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), `duplicate entry "a"`},
		{"overflow", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,1]}}`, 1), "overflows"},
		{"extra field", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1), "unknown field"},
		{"bad metadata", file(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
		{"offsets arity", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, 1), "data_offsets must be"},
		{"too many dims", file(`{"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}}`, 1), "dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHeader(bytes.NewReader(tt.data), int64(len(tt.data)), "x.safetensors")
			if err == nil {
				t.Fatalf("ParseHeader succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "x.safetensors") {
				t.Errorf("ParseHeader error = %q, want it to name the file and contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := []NewTensor{
		{Name: "w", DType: BF16, Shape: []int64{2, 3}, Data: Bytes([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})},
		{Name: "s", DType: F32, Shape: nil, Data: Bytes([]byte{0, 0, 0x80, 0x3f})},
		{Name: "e", DType: U8, Shape: []int64{0, 5}, Data: Bytes(nil)},
	}
	if err := Write(&buf, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rt")
	if err != nil {
		t.Fatal(err)
	}
	if h.Metadata["format"] != "pt" || len(h.Tensors) != 3 || h.DataOff%8 != 0 {
		t.Fatalf("header = %+v", h)
	}
	for _, ti := range h.Tensors {
		switch ti.Name {
		case "w":
			if got := buf.Bytes()[ti.Offset : ti.Offset+ti.Size]; got[0] != 1 || got[11] != 12 || ti.NumElements() != 6 {
				t.Errorf("w = %v", got)
			}
		case "s":
			if ti.NumElements() != 1 || ti.Size != 4 {
				t.Errorf("s = %+v", ti)
			}
		case "e":
			if ti.NumElements() != 0 || ti.Size != 0 {
				t.Errorf("e = %+v", ti)
			}
		}
	}
	if err := Write(&bytes.Buffer{}, []NewTensor{{Name: "x", DType: U8, Shape: []int64{3}, Data: Bytes([]byte{1})}}, nil); err == nil {
		t.Error("Write with a short Data succeeded")
	}
}

func TestCheckpointSharded(t *testing.T) {
	dir := t.TempDir()
	a := []NewTensor{{Name: "a", DType: U8, Shape: []int64{2}, Data: Bytes([]byte{1, 2})}}
	b := []NewTensor{{Name: "b", DType: U8, Shape: []int64{1}, Data: Bytes([]byte{3})}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(WriteFile(filepath.Join(dir, "m-1.safetensors"), a, nil))
	must(WriteFile(filepath.Join(dir, "m-2.safetensors"), b, nil))
	index := func(s string) { must(os.WriteFile(filepath.Join(dir, IndexFile), []byte(s), 0o644)) }

	index(`{"metadata":{},"weight_map":{"a":"m-1.safetensors","b":"m-2.safetensors"}}`)
	c, err := OpenDir(dir)
	must(err)
	ti, ok := c.Tensor("b")
	if !ok || len(c.Tensors) != 2 {
		t.Fatalf("tensors %v", c.Tensors)
	}
	var got [1]byte
	if _, err := c.Reader(ti).ReadAt(got[:], 0); err != nil || got[0] != 3 {
		t.Errorf("b = %v, %v", got, err)
	}
	c.Close()

	for _, tt := range []struct{ index, want string }{
		{`{"weight_map":{"a":"m-1.safetensors","b":"m-1.safetensors"}}`, `does not contain it`},
		{`{"weight_map":{"a":"m-1.safetensors"}}`, `"b"`}, // b is in no shard: fine; a's shard is complete
		{`{"weight_map":{"a":"../m-1.safetensors"}}`, `not a file name`},
		{`{"weight_map":{"a":"missing.safetensors"}}`, `missing.safetensors`},
		{`{"weight_map":{}}`, `empty or missing weight_map`},
		{`{`, IndexFile},
	} {
		index(tt.index)
		c, err := OpenDir(dir)
		if tt.want == `"b"` {
			// A shard holding only listed tensors opens fine.
			if err != nil {
				t.Errorf("index %s: %v", tt.index, err)
			} else {
				c.Close()
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("index %s: error %v, want %q", tt.index, err, tt.want)
		}
		if c != nil {
			c.Close()
		}
	}
	// A shard tensor missing from the index is an error.
	index(`{"weight_map":{"a":"m-1.safetensors"}}`)
	must(WriteFile(filepath.Join(dir, "m-1.safetensors"), append(a, b[0]), nil))
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("unlisted tensor: error %v", err)
	}

	empty := t.TempDir()
	if _, err := OpenDir(empty); err == nil || !strings.Contains(err.Error(), SingleFile) {
		t.Errorf("empty dir: error %v", err)
	}
}
