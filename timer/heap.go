package timer

// The heap is 4-ary, as in Go's runtime timers: shallower than a binary
// heap, so fewer cache misses on sift-down with a million timers. Each entry
// carries its timer's deadline, so sifting compares deadlines without
// touching the timers; only ties look at the timers' sequence numbers, and
// only the entries that move write their new index into their timer.

// entry is one heap slot: a copy of t.when and the timer.
type entry struct {
	when int64
	t    *Timer
}

// before orders entries by deadline, then by arming order.
func (e entry) before(o entry) bool {
	return e.when < o.when || (e.when == o.when && e.t.seq < o.t.seq)
}

// push puts t in the heap with a fresh sequence number.
func (q *Queue) push(t *Timer) {
	q.seq++
	t.seq = q.seq
	q.reinsert(t)
}

// reinsert puts t in the heap keeping its sequence number.
func (q *Queue) reinsert(t *Timer) {
	t.state = stateQueued
	q.heap = append(q.heap, entry{t.when, t})
	q.up(len(q.heap) - 1)
}

// remove takes the queued timer t out of the heap.
func (q *Queue) remove(t *Timer) {
	i := int(t.index)
	last := len(q.heap) - 1
	if i != last {
		q.heap[i] = q.heap[last]
	}
	q.heap[last] = entry{}
	q.heap = q.heap[:last]
	if i != last {
		q.fix(i)
	}
	t.index = -1
}

// fix restores heap order after the entry at i changed its key, and stores
// every moved entry's index in its timer.
func (q *Queue) fix(i int) {
	if i > 0 && q.heap[i].before(q.heap[(i-1)/4]) {
		q.up(i)
	} else {
		q.down(i)
	}
}

func (q *Queue) up(i int) {
	h := q.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(h[p]) {
			break
		}
		h[i] = h[p]
		h[i].t.index = int32(i)
		i = p
	}
	h[i] = e
	e.t.index = int32(i)
}

func (q *Queue) down(i int) {
	h := q.heap
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h[j].before(h[m]) {
				m = j
			}
		}
		if !h[m].before(e) {
			break
		}
		h[i] = h[m]
		h[i].t.index = int32(i)
		i = m
	}
	h[i] = e
	e.t.index = int32(i)
}
