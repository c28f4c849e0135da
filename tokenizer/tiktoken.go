package tokenizer

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Llama3Specials returns the names of Llama 3's 256 special tokens in id
// order (ids 128000–128255 in Llama 3 and BitNet-b1.58-2B-4T, spec §5.3):
// <|begin_of_text|>, <|end_of_text|>, reserved 0–3, <|start_header_id|>,
// <|end_header_id|>, reserved 4, <|eot_id|>, reserved 5–250.
func Llama3Specials() []string {
	names := []string{
		"<|begin_of_text|>",
		"<|end_of_text|>",
		"<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>",
		"<|reserved_special_token_2|>",
		"<|reserved_special_token_3|>",
		"<|start_header_id|>",
		"<|end_header_id|>",
		"<|reserved_special_token_4|>",
		"<|eot_id|>",
	}
	for i := 5; i <= 250; i++ {
		names = append(names, "<|reserved_special_token_"+strconv.Itoa(i)+"|>")
	}
	return names
}

// maxTiktokenRanks bounds the vocabulary a rank file may describe.
const maxTiktokenRanks = 1 << 22

// LoadTiktoken builds a gpt2 Vocab from a tiktoken BPE rank file (lines
// "<base64 token bytes> <rank>", such as Llama 3's tokenizer.model) and a
// list of special tokens. Ranks must be 0..N-1, each once; rank r becomes
// token id r, its text the byte-level form of its bytes. Ranks at or above
// firstSpecialID are dropped (so a smaller vocabulary can be cut from a
// larger file) and specials[i] becomes id firstSpecialID+i, type control.
// firstSpecialID must lie in [1, N].
//
// The merge list, which a rank file lacks, is derived as Hugging Face's
// TikTokenConverter does: for each token of two or more bytes, in rank order,
// every split into two tokens that are both in the vocabulary becomes a merge,
// ordered by (rank of left, rank of right); all merges of a token take its
// rank's place in the list.
//
// Pre is "llama-bpe" and AddBOS is true. BOS, EOS and EOT are the ids of
// <|begin_of_text|>, <|end_of_text|> and <|eot_id|> when specials holds them;
// every other special id is -1.
func LoadTiktoken(r io.Reader, specials []string, firstSpecialID int32) (Vocab, error) {
	var ranked [][]byte // token bytes by rank
	seen := make(map[string]int, 1<<17)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		b64, rankText, ok := bytes.Cut(text, []byte(" "))
		if !ok {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken line %d: want \"<base64> <rank>\"", line)
		}
		tok, err := base64.StdEncoding.AppendDecode(nil, b64)
		if err != nil || len(tok) == 0 {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken line %d: bad token %q", line, b64)
		}
		rank, err := strconv.Atoi(string(rankText))
		if err != nil || rank < 0 || rank >= maxTiktokenRanks {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken line %d: bad rank %q", line, rankText)
		}
		if rank >= len(ranked) {
			ranked = append(ranked, make([][]byte, rank+1-len(ranked))...)
		}
		if ranked[rank] != nil {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken line %d: rank %d repeated", line, rank)
		}
		if prev, dup := seen[string(tok)]; dup {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken line %d: token %q repeats rank %d", line, tok, prev)
		}
		seen[string(tok)] = rank
		ranked[rank] = tok
	}
	if err := sc.Err(); err != nil {
		return Vocab{}, fmt.Errorf("tokenizer: tiktoken: %w", err)
	}
	if firstSpecialID < 1 || int(firstSpecialID) > len(ranked) {
		return Vocab{}, fmt.Errorf("tokenizer: tiktoken: first special id %d outside [1, %d]", firstSpecialID, len(ranked))
	}
	ranked = ranked[:firstSpecialID]
	for rank, tok := range ranked {
		if tok == nil {
			return Vocab{}, fmt.Errorf("tokenizer: tiktoken: rank %d missing", rank)
		}
	}
	rankOf := func(b []byte) (int, bool) {
		r, ok := seen[string(b)]
		return r, ok && r < len(ranked)
	}

	v := Vocab{
		Model:  "gpt2",
		Pre:    PreLlama3,
		Tokens: make([]string, 0, len(ranked)+len(specials)),
		Types:  make([]int32, 0, len(ranked)+len(specials)),
		BOS:    -1, EOS: -1, EOT: -1, UNK: -1, PAD: -1,
		AddBOS: true,
	}
	type split struct{ at, l, r int }
	var local []split
	var buf []byte
	for _, tok := range ranked {
		v.Tokens = append(v.Tokens, string(byteLevelEncode(buf[:0], tok)))
		v.Types = append(v.Types, TypeNormal)
		local = local[:0]
		for i := 1; i < len(tok); i++ {
			l, okL := rankOf(tok[:i])
			r, okR := rankOf(tok[i:])
			if okL && okR {
				local = append(local, split{i, l, r})
			}
		}
		slices.SortFunc(local, func(a, b split) int {
			return cmp.Or(cmp.Compare(a.l, b.l), cmp.Compare(a.r, b.r))
		})
		for _, s := range local {
			buf = byteLevelEncode(buf[:0], tok[:s.at])
			buf = append(buf, ' ')
			buf = byteLevelEncode(buf, tok[s.at:])
			v.Merges = append(v.Merges, string(buf))
		}
	}
	for i, name := range specials {
		id := firstSpecialID + int32(i)
		v.Tokens = append(v.Tokens, name)
		v.Types = append(v.Types, TypeControl)
		switch name {
		case "<|begin_of_text|>":
			v.BOS = id
		case "<|end_of_text|>":
			v.EOS = id
		case "<|eot_id|>":
			v.EOT = id
		}
	}
	return v, nil
}
