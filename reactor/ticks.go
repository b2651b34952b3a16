package reactor

// NextTick queues fn to run on the reactor goroutine at the start of the
// next iteration, as EM.next_tick (and EM.schedule from another thread).
// Ticks run in the order queued; a tick queued while the tick phase runs
// waits for the next iteration, so a tick that re-queues itself cannot
// starve I/O or timers. Safe for concurrent use: this is how other
// goroutines reach the loop, e.g. r.NextTick(func() { c.Write(b) }).
// Ticks queued after the reactor stopped are dropped.
func (r *Reactor) NextTick(fn func()) { r.post(fn) }

// post is NextTick reporting whether fn was queued (false once the reactor
// has stopped for good).
func (r *Reactor) post(fn func()) bool {
	if fn == nil {
		return true
	}
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	if r.closed {
		return false
	}
	r.ticks = append(r.ticks, fn)
	r.nticks.Add(1)
	// Only a sleeping (or about to sleep) loop needs the eventfd write; the
	// loop sets sleeping before it reads nticks, so one side always sees
	// the other.
	if r.sleeping.Load() {
		r.wakeLocked()
	}
	return true
}

// wake interrupts the poller's wait. Safe for concurrent use.
func (r *Reactor) wake() {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	if !r.closed {
		r.wakeLocked()
	}
}

// wakeLocked writes the wake-up at most once until the loop consumes it.
// The caller holds tickMu, which keeps the poller open during the write.
func (r *Reactor) wakeLocked() {
	if r.wakePending.CompareAndSwap(false, true) {
		if err := r.poller.Wake(); err != nil {
			r.log.Error("reactor: wake-up failed", "err", err)
		}
	}
}

// runTicks runs the tick queue as it stood when called.
func (r *Reactor) runTicks() {
	r.wakePending.Store(false)
	if r.nticks.Load() == 0 {
		return
	}
	r.tickMu.Lock()
	batch := r.ticks
	r.ticks = r.spare[:0]
	r.nticks.Store(0)
	r.tickMu.Unlock()
	for i, fn := range batch {
		batch[i] = nil
		r.safeCall(fn)
	}
	r.spare = batch[:0]
}

// closeTicks discards queued ticks, refuses new ones and closes the poller
// under the same lock, so no wake-up is ever written to a closed (and
// perhaps reused) fd.
func (r *Reactor) closeTicks() error {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	r.closed = true
	clear(r.ticks)
	r.ticks = nil
	r.nticks.Store(0)
	return r.poller.Close()
}
