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
	return r.ticks.Post(fn)
}

// wake interrupts the poller's wait (Stop uses it). Safe for concurrent
// use.
func (r *Reactor) wake() { r.ticks.Signal() }

// wakeLoop is the tick mailbox's wake-up, run under its lock (which keeps
// the poller open during the write). Only a sleeping (or about to sleep)
// loop needs the eventfd write: the loop sets sleeping before it looks at
// the mailbox and the stop request, so one side always sees the other. The
// write happens at most once until the loop consumes it.
func (r *Reactor) wakeLoop() {
	if r.sleeping.Load() && r.wakePending.CompareAndSwap(false, true) {
		if err := r.poller.Wake(); err != nil {
			r.log.Error("reactor: wake-up failed", "err", err)
		}
	}
}

// runTicks runs the tick queue as it stood when called.
func (r *Reactor) runTicks() {
	r.wakePending.Store(false)
	r.ticks.Drain(r.safeCall)
}

// closeTicks discards queued ticks, refuses new ones and then closes the
// poller: once the mailbox is closed no wake-up is written, so none goes
// to a closed (and perhaps reused) fd.
func (r *Reactor) closeTicks() error {
	r.ticks.Close()
	return r.poller.Close()
}
