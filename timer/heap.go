package timer

// The heap is 4-ary, as in Go's runtime timers: shallower than a binary
// heap, so fewer cache misses on sift-down with a million timers.

func less(a, b *Timer) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

// push puts t in the heap with a fresh sequence number.
func (q *Queue) push(t *Timer) {
	q.seq++
	t.seq = q.seq
	t.state = stateQueued
	t.index = len(q.heap)
	q.heap = append(q.heap, t)
	q.up(t.index)
}

// remove takes the queued timer t out of the heap.
func (q *Queue) remove(t *Timer) {
	i := t.index
	last := len(q.heap) - 1
	if i != last {
		q.heap[i] = q.heap[last]
		q.heap[i].index = i
	}
	q.heap[last] = nil
	q.heap = q.heap[:last]
	if i != last {
		q.fix(i)
	}
	t.index = -1
}

// fix restores heap order after the entry at i changed its key.
func (q *Queue) fix(i int) {
	if i > 0 && less(q.heap[i], q.heap[(i-1)/4]) {
		q.up(i)
	} else {
		q.down(i)
	}
}

func (q *Queue) up(i int) {
	h := q.heap
	t := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !less(t, h[p]) {
			break
		}
		h[i] = h[p]
		h[i].index = i
		i = p
	}
	h[i] = t
	t.index = i
}

func (q *Queue) down(i int) {
	h := q.heap
	n := len(h)
	t := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if less(h[j], h[m]) {
				m = j
			}
		}
		if !less(h[m], t) {
			break
		}
		h[i] = h[m]
		h[i].index = i
		i = m
	}
	h[i] = t
	t.index = i
}
