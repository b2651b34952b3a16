package timer

// Clear cancels every waiting timer (and those due later in a Run in
// progress), as a reactor does when it stops: their Handles go dead. Must
// be called on the goroutine that owns the queue.
func (q *Queue) Clear() {
	for _, e := range q.heap {
		q.release(e.slot)
	}
	q.heap = q.heap[:0]
	for _, r := range q.batch {
		if s := &q.slots[r.slot]; s.gen == r.gen && (s.state == stateDue || s.state == stateRunning) {
			q.release(r.slot)
		}
	}
}
