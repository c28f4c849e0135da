package embed_test

import (
	"fmt"

	"github.com/bitnet-go/bitnet/embed"
)

func Example() {
	rows := [][]float32{{0.5, 0.1, 0.0}, {1.0, -2.0, 0.5}} // per-token hidden rows
	v, _ := embed.Pool(rows, embed.PoolingLast)
	_ = embed.Normalize(v, 2)
	fmt.Printf("%.8f\n", v)
	fmt.Println(embed.EncodeBase64(v))
	fmt.Printf("%.1f\n", embed.Cosine([]float32{1, 0, 1}, []float32{0, 1, 1}))
	// Output:
	// [0.43643579 -0.87287158 0.21821789]
	// g3TfPoN0X7+DdF8+
	// 0.5
}
