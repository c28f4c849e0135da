package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/bitnet-go/bitnet/tokenizer"
)

func init() {
	register(command{"tokenize", "print the token ids and pieces of a text", cmdTokenize})
	register(command{"detokenize", "print the text of token ids", cmdDetokenize})
}

// openTokenizer reads only a GGUF file's tokenizer keys, so vocabulary-only
// files (llama.cpp's ggml-vocab-*.gguf) work; it never binds tensors.
func openTokenizer(path, pre string) (*tokenizer.Tokenizer, func(), error) {
	f, err := openFile(path)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.FromGGUF(f, tokenizer.Options{Pre: pre})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return tok, func() { f.Close() }, nil
}

func cmdTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", "[flags] (TEXT | --file F)",
		"Print the tokens of TEXT (or of file F, byte for byte, or of standard input): one line per token,\nits id and its piece (the bytes it stands for, quoted). Works on vocabulary-only GGUF files.", stderr)
	modelPath := fs.String("m", "", "GGUF `file` with the tokenizer (default: the embedded kjv-tiny model)")
	file := fs.String("file", "", "read the text from `F`, byte for byte (no newline added or removed)")
	ids := fs.Bool("ids", false, "print only the ids, space-separated on one line")
	noBOS := fs.Bool("no-bos", false, "do not add the BOS token")
	noSpecial := fs.Bool("no-special", false, "treat special-token text such as <|eot_id|> as plain text")
	pre := fs.String("pre", "", "override tokenizer.ggml.pre (llama-bpe, default, gpt-2, falcon, falcon3, …)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var text string
	switch {
	case *file != "" && len(pos) > 0:
		return usagef("give TEXT or --file, not both")
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		text = string(b)
	case len(pos) == 1:
		text = pos[0]
	case len(pos) > 1:
		return usagef("expected one TEXT argument, got %d (quote the text)", len(pos))
	default:
		if text, err = readStdin("text", "give TEXT, --file F,"); err != nil {
			return err
		}
	}
	tok, closeFile, err := openTokenizer(*modelPath, *pre)
	if err != nil {
		return err
	}
	defer closeFile()
	toks := tok.Encode(text, tok.AddBOS() && !*noBOS, !*noSpecial)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if *ids {
		for i, id := range toks {
			if i > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(strconv.Itoa(int(id)))
		}
		w.WriteByte('\n')
		return w.Flush()
	}
	for _, id := range toks {
		fmt.Fprintf(w, "%6d %q\n", id, tok.Piece(id))
	}
	return w.Flush()
}

func cmdDetokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("detokenize", "[flags] [ID ...]",
		"Print the text of token ids given as arguments or on standard input (separated by spaces, commas\nor newlines; brackets are ignored). Control tokens print as nothing unless --special.\nA SentencePiece vocabulary's prefix space is dropped, as tokenize added it.", stderr)
	modelPath := fs.String("m", "", "GGUF `file` with the tokenizer (default: the embedded kjv-tiny model)")
	special := fs.Bool("special", false, "print control tokens by name (<|eot_id|>)")
	raw := fs.Bool("raw", false, "write the text exactly, without a final newline")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var src string
	if len(pos) > 0 {
		src = strings.Join(pos, " ")
	} else {
		var err error
		if src, err = readStdin("ids", "give them as arguments"); err != nil {
			return err
		}
	}
	ids, err := parseIDs(src)
	if err != nil {
		return usagef("%v", err)
	}
	tok, closeFile, err := openTokenizer(*modelPath, "")
	if err != nil {
		return err
	}
	defer closeFile()
	for _, id := range ids {
		if int(id) >= tok.VocabSize() {
			return fmt.Errorf("token id %d out of range (the vocabulary has %d tokens)", id, tok.VocabSize())
		}
	}
	var text []byte
	if *special {
		for _, id := range ids {
			text = append(text, tok.Piece(id)...)
		}
	} else {
		text = tok.AppendDecode(nil, ids)
	}
	if !*raw {
		text = append(text, '\n')
	}
	_, err = stdout.Write(text)
	return err
}

// parseIDs reads token ids separated by spaces, commas or newlines; square
// brackets are ignored so that "[1, 2, 3]" works.
func parseIDs(s string) ([]int32, error) {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '[' || r == ']' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	ids := make([]int32, 0, len(f))
	for _, x := range f {
		n, err := strconv.ParseInt(x, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad token id %q", x)
		}
		ids = append(ids, int32(n))
	}
	return ids, nil
}
