package redis

// ring is a FIFO of pending commands that reuses its slots.
type ring struct {
	buf        []pending
	head, size int
}

func (q *ring) len() int { return q.size }

func (q *ring) push(p pending) {
	if q.size == len(q.buf) {
		n := make([]pending, max(16, 2*len(q.buf)))
		for i := range q.size {
			n[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = n, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = p
	q.size++
}

func (q *ring) peek() (pending, bool) {
	if q.size == 0 {
		return pending{}, false
	}
	return q.buf[q.head], true
}

func (q *ring) pop() (pending, bool) {
	if q.size == 0 {
		return pending{}, false
	}
	p := q.buf[q.head]
	q.buf[q.head] = pending{}
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return p, true
}
