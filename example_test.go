package bitnet_test

import (
	"context"
	"fmt"
	"log"

	"github.com/bitnet-go/bitnet"
)

// Greedy generation (the zero GenerateOptions but MaxTokens) is
// deterministic: it prints what `bitnet run --greedy` prints.
func ExampleModel_Generate() {
	m, err := bitnet.Load("") // the embedded kjv-tiny model
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	text, err := m.Generate(context.Background(), "In the beginning God created", bitnet.GenerateOptions{MaxTokens: 24})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
	// Output:  thee, and the LORD thy God, and the LORD thy God, and thy servant
}

func ExampleModel_Stream() {
	m, err := bitnet.Load("")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for piece, err := range m.Stream(context.Background(), "And the LORD said unto Moses,", bitnet.GenerateOptions{MaxTokens: 8}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", piece)
	}
	// Output:
	// " Th"
	// "ou"
	// " sh"
	// "alt"
	// " not"
	// " go"
	// " out"
	// " of"
}

func ExampleModel_Chat() {
	m, err := bitnet.Load("")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	reply, err := m.Chat(context.Background(), []bitnet.Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "Who created the heaven and the earth?"},
	}, bitnet.GenerateOptions{MaxTokens: 16})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", reply)
	// Output: "iron is the wicked.\nThe wicked is the wicked"
}

func ExampleModel_Tokenize() {
	m, err := bitnet.Load("")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ids, err := m.Tokenize("The LORD is my shepherd")
	if err != nil {
		log.Fatal(err)
	}
	text, err := m.Detokenize(ids)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids)
	fmt.Printf("%q\n", text)
	// Output:
	// [8000 791 445 4373 374 856 1364 764 261 67]
	// "The LORD is my shepherd"
}
