package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/model"
)

type inspectTensor struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Shape  []uint64 `json:"shape"`
	Bytes  uint64   `json:"bytes"`
	Offset uint64   `json:"offset"`
}

type inspectKV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Count int    `json:"count,omitempty"` // array length
	Value any    `json:"value"`           // arrays: the first elements only
}

type inspectOut struct {
	File        string            `json:"file"`
	Version     uint32            `json:"version"`
	Alignment   uint64            `json:"alignment"`
	DataOffset  uint64            `json:"data_offset"`
	Size        int64             `json:"size"`
	Metadata    []inspectKV       `json:"metadata"`
	Tensors     []inspectTensor   `json:"tensors"`
	BytesByType map[string]uint64 `json:"bytes_by_type"`
	Config      *model.Config     `json:"config,omitempty"`
	ConfigError string            `json:"config_error,omitempty"`
	Loadable    bool              `json:"loadable"`
	LoadError   string            `json:"load_error,omitempty"`
}

const arrayPreview = 8

func init() {
	register(command{"inspect", "print a GGUF file's metadata, tensors and architecture", cmdInspect})
}

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "[flags] [FILE]", "Print a GGUF file's metadata, tensor table and architecture summary\n(the embedded model when FILE is absent).", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	full := fs.Bool("full", false, "print whole arrays instead of their first elements")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("expected at most one FILE, got %d", len(pos))
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	f, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()

	out := inspectOut{File: f.Name, Version: f.Version, Alignment: f.Alignment, DataOffset: f.DataOffset, Size: f.Size(), BytesByType: map[string]uint64{}}
	for _, kv := range f.KV {
		e := inspectKV{Key: kv.Key, Type: kv.Value.Type.String(), Value: kv.Value.V}
		if kv.Value.Type == gguf.TypeArray {
			e.Type = "[]" + kv.Value.ElemType.String()
			e.Count = kv.Value.Len()
			if !*full {
				e.Value = preview(kv.Value, arrayPreview)
			}
		}
		out.Metadata = append(out.Metadata, e)
	}
	for _, t := range f.Tensors {
		out.Tensors = append(out.Tensors, inspectTensor{Name: t.Name, Type: t.Type.String(), Shape: t.Dims, Bytes: t.Size, Offset: t.Offset})
		out.BytesByType[t.Type.String()] += t.Size
	}
	if cfg, err := model.NewConfig(f); err != nil {
		out.ConfigError = err.Error()
	} else {
		out.Config = cfg
		if m, err := model.Load(f, model.Options{Threads: 1}); err != nil {
			out.LoadError = err.Error()
		} else {
			out.Loadable = true
			m.Close()
		}
	}

	if *asJSON {
		return printJSON(stdout, out)
	}
	printInspect(stdout, out, *full)
	return nil
}

// printInspect prints out as text; full prints whole arrays and strings.
func printInspect(stdout io.Writer, out inspectOut, full bool) {
	fmt.Fprintf(stdout, "file:       %s\nversion:    %d\nsize:       %d bytes\nalignment:  %d\ndata start: %d\n\n", out.File, out.Version, out.Size, out.Alignment, out.DataOffset)
	fmt.Fprintf(stdout, "metadata (%d keys):\n", len(out.Metadata))
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, kv := range out.Metadata {
		v := fmt.Sprint(kv.Value)
		if kv.Count > 0 || strings.HasPrefix(kv.Type, "[]") {
			v = fmt.Sprintf("%d × %v", kv.Count, kv.Value)
			if ss, ok := kv.Value.([]string); ok {
				v = fmt.Sprintf("%d × %q", kv.Count, ss)
			}
			if !full && kv.Count > arrayPreview {
				v = strings.TrimSuffix(v, "]") + " …]"
			}
		}
		if s, ok := kv.Value.(string); ok {
			v = fmt.Sprintf("%q", s)
			if len(v) > 160 && !full {
				v = v[:157] + "…\""
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", kv.Key, kv.Type, v)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\ntensors (%d):\n", len(out.Tensors))
	tw = tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  name\ttype\tshape\tbytes\n")
	for _, t := range out.Tensors {
		fmt.Fprintf(tw, "  %s\t%s\t%v\t%d\n", t.Name, t.Type, t.Shape, t.Bytes)
	}
	tw.Flush()
	types := make([]string, 0, len(out.BytesByType))
	for t := range out.BytesByType {
		types = append(types, t)
	}
	sort.Strings(types)
	fmt.Fprintf(stdout, "\nbytes by type:")
	for _, t := range types {
		fmt.Fprintf(stdout, "  %s %d", t, out.BytesByType[t])
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout)
	switch {
	case out.ConfigError != "":
		fmt.Fprintf(stdout, "architecture: not runnable here: %s\n", out.ConfigError)
	case out.LoadError != "":
		fmt.Fprintf(stdout, "architecture: %s\nweights: not loadable: %s\n", out.Config, out.LoadError)
	default:
		fmt.Fprintf(stdout, "architecture: %s\nweights: all tensors bound and checked\n", out.Config)
	}
}

// preview returns at most n elements of an array value.
func preview(v gguf.Value, n int) any {
	switch a := v.V.(type) {
	case []string:
		return a[:min(n, len(a))]
	case []float32:
		return a[:min(n, len(a))]
	case []int32:
		return a[:min(n, len(a))]
	case []uint32:
		return a[:min(n, len(a))]
	case []uint8:
		return a[:min(n, len(a))]
	case []int8:
		return a[:min(n, len(a))]
	case []uint16:
		return a[:min(n, len(a))]
	case []int16:
		return a[:min(n, len(a))]
	case []uint64:
		return a[:min(n, len(a))]
	case []int64:
		return a[:min(n, len(a))]
	case []float64:
		return a[:min(n, len(a))]
	case []bool:
		return a[:min(n, len(a))]
	case []gguf.Value:
		return fmt.Sprintf("%d nested arrays", len(a))
	}
	return v.V
}
