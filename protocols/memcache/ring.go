package memcache

// ring is a FIFO of T in a growable circular buffer: push at the tail,
// pop at the head, both O(1) amortised, no allocation once it is as large
// as the deepest pipeline it has held.
type ring[T any] struct {
	buf        []T
	head, size int
}

func (q *ring[T]) len() int { return q.size }

// at returns the i-th element from the head (0 is the head).
func (q *ring[T]) at(i int) *T { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *ring[T]) push(v T) {
	if q.size == len(q.buf) {
		q.grow()
	}
	*q.at(q.size) = v
	q.size++
}

// pop removes the head and returns it; the slot is zeroed so that the
// ring keeps no callback alive.
func (q *ring[T]) pop() T {
	p := q.at(0)
	v := *p
	var zero T
	*p = zero
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return v
}

// truncate drops the elements from index n on, zeroing them.
func (q *ring[T]) truncate(n int) {
	var zero T
	for i := n; i < q.size; i++ {
		*q.at(i) = zero
	}
	q.size = n
}

func (q *ring[T]) grow() {
	n := max(2*len(q.buf), 16) // a power of two, for the mask in at
	buf := make([]T, n)
	for i := range q.size {
		buf[i] = *q.at(i)
	}
	q.buf, q.head = buf, 0
}
