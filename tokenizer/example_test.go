package tokenizer_test

import (
	"fmt"
	"log"

	"github.com/bitnet-go/bitnet/tokenizer"
)

func Example() {
	// A toy byte-level vocabulary; real ones come from FromGGUF or
	// LoadTiktoken. 'Ġ' is how byte-level vocabularies write a space.
	tok, err := tokenizer.New(tokenizer.Vocab{
		Model: "gpt2",
		Pre:   "llama-bpe",
		Tokens: []string{
			"h", "e", "l", "o", "w", "r", "d", "Ġ", "!", // 0-8: single bytes
			"he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworld", // 9-16: merged
			"<|begin_of_text|>", "<|eot_id|>", // 17-18: control
		},
		Types:  []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3},
		Merges: []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"},
		BOS:    17, EOS: -1, EOT: 18, UNK: -1, PAD: -1,
		AddBOS: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	ids := tok.Encode("hello world!<|eot_id|>", tok.AddBOS(), true)
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids))
	fmt.Println(tok.IsEOG(ids[len(ids)-1]))

	// Stream the ids back as text.
	d := tok.NewDecoder()
	for _, id := range ids {
		fmt.Printf("%q ", d.Add(id))
	}
	fmt.Printf("%q\n", d.Flush())
	// Output:
	// [17 12 16 8 18]
	// "hello world!"
	// true
	// "" "hello" " world" "!" "" ""
}
