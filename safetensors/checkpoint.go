package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IndexFile is the name of the shard index of a sharded checkpoint.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded checkpoint.
const SingleFile = "model.safetensors"

// maxIndexSize bounds the shard index file read into memory.
const maxIndexSize = 64 << 20

// Checkpoint is the set of tensors of a model directory: one
// model.safetensors, or the shards that model.safetensors.index.json lists.
// It is safe for concurrent use, except Close.
type Checkpoint struct {
	Dir     string
	Files   []*File                // in the order of first appearance in the index
	Tensors []*TensorInfo          // every tensor, sorted by name
	byName  map[string]*TensorInfo // name → info
	owner   map[*TensorInfo]*File
}

// OpenDir opens the checkpoint in dir: model.safetensors.index.json when it
// exists (every shard it names must exist, hold the tensors mapped to it and
// no tensor twice), else model.safetensors. The caller must Close it.
func OpenDir(dir string) (*Checkpoint, error) {
	c := &Checkpoint{Dir: dir, byName: map[string]*TensorInfo{}, owner: map[*TensorInfo]*File{}}
	idx := filepath.Join(dir, IndexFile)
	b, err := readSmall(idx, maxIndexSize)
	switch {
	case err == nil:
		if err := c.openShards(idx, b); err != nil {
			c.Close()
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		single := filepath.Join(dir, SingleFile)
		if _, err := os.Stat(single); err != nil {
			return nil, fmt.Errorf("safetensors: %s: no %s or %s: %w", dir, SingleFile, IndexFile, fs.ErrNotExist)
		}
		f, err := Open(single)
		if err != nil {
			return nil, err
		}
		c.add(f)
	default:
		return nil, err
	}
	sort.Slice(c.Tensors, func(i, j int) bool { return c.Tensors[i].Name < c.Tensors[j].Name })
	return c, nil
}

// readSmall reads a file of at most limit bytes.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrFormat, path, limit)
	}
	return b, nil
}

func (c *Checkpoint) add(f *File) {
	c.Files = append(c.Files, f)
	for i := range f.Tensors {
		t := &f.Tensors[i]
		c.byName[t.Name] = t
		c.owner[t] = f
		c.Tensors = append(c.Tensors, t)
	}
}

func (c *Checkpoint) openShards(idx string, b []byte) error {
	var ix struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFormat, idx, err)
	}
	if len(ix.WeightMap) == 0 {
		return fmt.Errorf("%w: %s: empty or missing weight_map", ErrFormat, idx)
	}
	names := make([]string, 0, len(ix.WeightMap))
	for n := range ix.WeightMap {
		names = append(names, n)
	}
	sort.Strings(names)
	opened := map[string]*File{}
	for _, n := range names {
		shard := ix.WeightMap[n]
		if shard == "" || shard != filepath.Base(shard) || strings.HasPrefix(shard, ".") || strings.ContainsAny(shard, `/\`) {
			return fmt.Errorf("%w: %s: tensor %q maps to %q, which is not a file name in the model directory", ErrFormat, idx, n, shard)
		}
		f, ok := opened[shard]
		if !ok {
			var err error
			if f, err = Open(filepath.Join(c.Dir, shard)); err != nil {
				return fmt.Errorf("safetensors: shard listed in %s: %w", idx, err)
			}
			opened[shard] = f
			for i := range f.Tensors {
				t := &f.Tensors[i]
				if prev, dup := c.byName[t.Name]; dup {
					f.Close()
					return fmt.Errorf("%w: tensor %q is in both %s and %s", ErrFormat, t.Name, prev.File, t.File)
				}
			}
			c.add(f)
		}
		if _, ok := f.Tensor(n); !ok {
			return fmt.Errorf("%w: %s maps tensor %q to %s, which does not contain it", ErrFormat, idx, n, f.Name)
		}
	}
	for _, t := range c.Tensors {
		if _, ok := ix.WeightMap[t.Name]; !ok {
			return fmt.Errorf("%w: tensor %q in %s is not listed in %s", ErrFormat, t.Name, t.File, idx)
		}
	}
	return nil
}

// Close closes every file of the checkpoint.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.Files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Tensor returns the info of the tensor called name.
func (c *Checkpoint) Tensor(name string) (*TensorInfo, bool) {
	t, ok := c.byName[name]
	return t, ok
}

// Reader returns a reader over the bytes of t, which must come from c.
func (c *Checkpoint) Reader(t *TensorInfo) *io.SectionReader {
	return c.owner[t].Reader(t)
}
