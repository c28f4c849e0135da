package embed

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
)

// checkLen panics when a and b differ in length: comparing vectors of
// different widths is a caller bug.
func checkLen(a, b []float32) {
	if len(a) != len(b) {
		panic(fmt.Sprintf("embed: vectors of length %d and %d", len(a), len(b)))
	}
}

// Dot returns a·b, accumulated in float64.
func Dot(a, b []float32) float64 {
	checkLen(a, b)
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// Cosine returns a·b / (‖a‖‖b‖), as llama.cpp common_embd_similarity_cos:
// 1 when both vectors are zero, 0 when only one is.
func Cosine(a, b []float32) float64 {
	na, nb := math.Sqrt(Dot(a, a)), math.Sqrt(Dot(b, b))
	switch {
	case na == 0 && nb == 0:
		return 1
	case na == 0 || nb == 0:
		return 0
	}
	return Dot(a, b) / (na * nb)
}

// Euclidean returns −‖a − b‖₂ (negative, so larger means more similar, as
// in sentence-transformers).
func Euclidean(a, b []float32) float64 {
	checkLen(a, b)
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return -math.Sqrt(s)
}

// Manhattan returns −Σ|a_i − b_i| (negative, as Euclidean).
func Manhattan(a, b []float32) float64 {
	checkLen(a, b)
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return -s
}

// EncodeBase64 returns the padded standard base64 (RFC 4648) of x as
// little-endian IEEE-754 float32, the OpenAI encoding_format "base64".
func EncodeBase64(x []float32) string {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeBase64 is the inverse of EncodeBase64.
func DecodeBase64(s string) ([]float32, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("embed: base64 vector: %w", err)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embed: base64 vector has %d bytes, expected a multiple of 4", len(b))
	}
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x, nil
}
