package sample_test

import (
	"fmt"

	"github.com/bitnet-go/bitnet/sample"
)

func ExampleGreedy() {
	fmt.Println(sample.Greedy([]float32{0.1, 2.5, -1, 2.5}))
	// Output: 1
}

func ExampleSampler() {
	p := sample.Params{Temperature: 0.8, TopK: 1, RepeatPenalty: 1.3}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	s := sample.New(p, 4)
	logits := []float32{1.0, 2.0, 1.8, 0.5}
	var history []int32
	for range 3 {
		history = append(history, s.Sample(logits, history))
	}
	fmt.Println(history)
	// Output: [1 2 1]
}
