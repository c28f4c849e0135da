//go:build cgo

// Capi is the C ABI of the bitnet library: bitnet.h, implemented by
// bitnet.c over the Go exports of exports.go, which call package bitnet.
// Build it as a shared library or a static archive:
//
//	go build -buildmode=c-shared -o libbitnet.so ./capi
//	go build -buildmode=c-archive -o libbitnet.a ./capi
//
// cgo is confined to this package (every file needs the cgo build tag),
// so the rest of the module builds with CGO_ENABLED=0. capi/test/test.c
// is its test, run by .ci/lib.sh; docs/library.md documents the ABI.
package main

// main is never called: -buildmode=c-shared and c-archive need package
// main, and only the exported functions are used.
func main() {}
