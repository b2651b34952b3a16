package timer

// The heap is 4-ary, as in Go's runtime timers: shallower than a binary
// heap, so fewer cache misses on sift-down with a million timers. An entry
// is a copy of its timer's deadline and the timer's slot number, with no
// pointer in it, so the GC never scans the heap; sifting compares deadlines
// without touching the slots, only ties look at the slots' sequence
// numbers, and each move writes the entry's new index into q.pos, a table of
// 4 bytes per timer that stays in cache far better than the slots do.

// entry is one heap slot: a copy of the timer's deadline and its slot.
type entry struct {
	when int64
	slot uint32
}

// before orders entries by deadline, then by arming order.
func (q *Queue) before(a, b entry) bool {
	if a.when != b.when {
		return a.when < b.when
	}
	return q.slots[a.slot].seq < q.slots[b.slot].seq
}

// push puts slot i in the heap with a fresh sequence number.
func (q *Queue) push(i uint32) {
	q.seq++
	q.slots[i].seq = q.seq
	q.reinsert(i)
}

// reinsert puts slot i in the heap keeping its sequence number.
func (q *Queue) reinsert(i uint32) {
	q.slots[i].state = stateQueued
	q.heap = append(q.heap, entry{q.slots[i].when, i})
	q.up(len(q.heap) - 1)
}

// remove takes the queued slot i out of the heap: the last entry fills
// its place. A timer cancelled soon after it was armed is usually the last
// entry itself, and nothing moves.
func (q *Queue) remove(i uint32) {
	at, last := int(q.pos[i]), len(q.heap)-1
	moved := q.heap[last]
	q.heap = q.heap[:last]
	if at != last {
		q.heap[at] = moved
		q.fix(at)
	}
}

// fix restores heap order after the entry at i changed its key.
func (q *Queue) fix(i int) {
	if i > 0 && q.before(q.heap[i], q.heap[(i-1)/4]) {
		q.up(i)
	} else {
		q.down(i)
	}
}

func (q *Queue) up(i int) {
	h, pos := q.heap, q.pos
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !q.before(e, h[p]) {
			break
		}
		h[i] = h[p]
		pos[h[i].slot] = int32(i)
		i = p
	}
	h[i] = e
	pos[e.slot] = int32(i)
}

func (q *Queue) down(i int) {
	h, pos := q.heap, q.pos
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if q.before(h[j], h[m]) {
				m = j
			}
		}
		if !q.before(h[m], e) {
			break
		}
		h[i] = h[m]
		pos[h[i].slot] = int32(i)
		i = m
	}
	h[i] = e
	pos[e.slot] = int32(i)
}
