package tokenizer

// ordered is an element of a merge queue: before reports whether a merges
// ahead of b (BPE: lower rank, then leftmost; SPM: higher score, then
// leftmost).
type ordered[T any] interface {
	before(T) bool
}

// heapPush adds x to the binary min-heap q (by before) and returns q.
func heapPush[T ordered[T]](q []T, x T) []T {
	q = append(q, x)
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].before(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
	return q
}

// heapPop removes and returns the first element of the non-empty heap q.
func heapPop[T ordered[T]](q []T) (T, []T) {
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(q) {
			break
		}
		m := l
		if r := l + 1; r < len(q) && q[r].before(q[l]) {
			m = r
		}
		if !q[m].before(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	return top, q
}
