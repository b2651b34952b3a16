package timer

// Clear cancels every waiting timer (and those due later in a Run in
// progress), as a reactor does when it stops. Must be called on the
// goroutine that owns the queue.
func (q *Queue) Clear() {
	for _, e := range q.heap {
		e.t.state = stateIdle
		e.t.index = -1
	}
	clear(q.heap)
	q.heap = q.heap[:0]
	for _, t := range q.batch {
		if t.state == stateDue || t.state == stateRunning {
			t.state = stateIdle
		}
	}
}
