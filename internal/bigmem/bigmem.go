// Package bigmem allocates large, long-lived buffers (weights repacked at
// load time) outside the Go heap, in anonymous memory advised for
// transparent huge pages where the OS offers them: streaming hundreds of
// megabytes per token through 4 KiB pages costs a page-table walk per page,
// which on virtual machines limits bandwidth (see docs/performance.md).
package bigmem

// Bytes returns a zeroed buffer of n bytes and a function that frees it.
// The buffer must not be used after free. Small or failed allocations fall
// back to the Go heap (free is then a no-op).
func Bytes(n int) (b []byte, free func()) {
	if n >= 1<<21 {
		if b, free, ok := alloc(n); ok {
			return b, free
		}
	}
	return make([]byte, n), func() {}
}
