package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func init() {
	register(command{"logits", "write the logits of a token sequence as little-endian float32", cmdLogits})
}

var logitsDef = cmdDef{"logits", "-m FILE (--tokens 1,2,3 | --tokens-file F) --out OUT", "Run a token sequence through the model and write the logits of every position\nas little-endian float32, shape [T][vocab], row-major. The ids are used exactly\nas given: no BOS is added."}

// logitsFlags are logits' flags: the model configuration's and its own.
type logitsFlags struct {
	modelCmd
	tokens, tokensFile, out *string
}

func declareLogits(fs *flag.FlagSet) *logitsFlags {
	return &logitsFlags{
		modelCmd:   bindModel(fs, "logits", nil),
		tokens:     fs.String("tokens", "", "comma-separated token `ids`"),
		tokensFile: fs.String("tokens-file", "", "`file` holding a JSON array of token ids"),
		out:        fs.String("out", "", "output `file` (written atomically)"),
	}
}

func init() { registerConfigured("logits", declareLogits) }

func cmdLogits(args []string, stdout, stderr io.Writer) error {
	f, pos, c, err := parseConfigured(logitsDef, declareLogits, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	tokensArg, tokensFile, outPath := f.tokens, f.tokensFile, f.out
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *outPath == "" {
		return usagef("--out is required")
	}
	if (*tokensArg == "") == (*tokensFile == "") {
		return usagef("give exactly one of --tokens and --tokens-file")
	}
	var tokens []int32
	if *tokensArg != "" {
		if tokens, err = parseTokenList(*tokensArg); err != nil {
			return usagef("--tokens: %v", err)
		}
	} else if tokens, err = readTokensFile(*tokensFile); err != nil {
		return err
	}
	l, err := f.model(c).load("", false)
	if err != nil {
		return err
	}
	defer l.Close()
	m := l.model
	if len(tokens) > m.Config.SeqLen {
		return fmt.Errorf("%d tokens exceed the model's context length %d", len(tokens), m.Config.SeqLen)
	}
	st, err := m.NewState(len(tokens), 64)
	if err != nil {
		return err
	}
	return writeAtomic(*outPath, func(w io.Writer) error {
		buf := make([]byte, 0, 64*m.Config.VocabSize*4)
		for i := 0; i < len(tokens); i += st.MaxBatch {
			logits, err := m.Forward(st, tokens[i:min(i+st.MaxBatch, len(tokens))], true)
			if err != nil {
				return err
			}
			buf = buf[:0]
			for _, v := range logits {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "wrote %d × %d logits to %s\n", len(tokens), m.Config.VocabSize, *outPath)
		return nil
	})
}

func parseTokenList(s string) ([]int32, error) {
	var out []int32
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("item %d: %q is not a token id", i+1, f)
		}
		out = append(out, int32(v))
	}
	return out, nil
}

func readTokensFile(path string) ([]int32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of token ids: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: the token array is empty", path)
	}
	out := make([]int32, len(ids))
	for i, v := range ids {
		if v < 0 || v > math.MaxInt32 {
			return nil, fmt.Errorf("%s: element %d (%d) is not a token id", path, i, v)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// writeAtomic writes through fn to a temporary file beside path, syncs it
// and renames it onto path; on any error the temporary file is removed and
// path is left as it was.
func writeAtomic(path string, fn func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fn(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
