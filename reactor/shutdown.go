package reactor

import "context"

// Shutdown stops the reactor gracefully, the stop EventMachine users asked
// for: listeners close at once, every Conn is switched to
// CloseAfterWriting (it stops reading, flushes what it has queued, then
// closes), datagram sockets close after one last try to send their queue,
// and the reactor stops when the last Conn is gone and the last socket
// closed after writing has stopped lingering (at most 2 s after its Conn;
// see CloseAfterWriting). If ctx ends first, the reactor stops as
// with Stop (remaining Conns close with ErrStopped) and Shutdown returns
// ctx's error.
//
// Safe for concurrent use. From another goroutine it waits until the loop
// has stopped. From the reactor goroutine (a callback) it cannot wait: it
// starts the graceful stop, arranges for ctx's end to Stop the reactor, and
// returns nil at once; listeners are closed and Conns switched to
// CloseAfterWriting before it returns. On a reactor whose Run has not
// started, Shutdown returns ctx's error when ctx ends (Run, if called
// later, returns after its first iteration).
func (r *Reactor) Shutdown(ctx context.Context) error {
	if r.onLoop() {
		r.beginDrain() // now, so that the caller's next Write already sees it
		go func() {
			select {
			case <-ctx.Done():
				r.Stop()
			case <-r.stopped:
			}
		}()
		return nil
	}
	if !r.post(r.beginDrain) {
		return nil // already stopped
	}
	select {
	case <-r.stopped:
		return nil
	case <-ctx.Done():
		r.Stop()
		if r.loopGID.Load() != 0 { // Run has started: wait for it to return
			<-r.stopped
		}
		return ctx.Err()
	}
}

// beginDrain is the loop side of Shutdown.
func (r *Reactor) beginDrain() {
	r.draining = true
	r.fds.each(func(o fdOwner) {
		switch o := o.(type) {
		case *Listener:
			o.closeNow()
		case *PacketConn:
			o.stop(nil)
		case *Conn:
			if o.flags&fClosed == 0 {
				o.CloseAfterWriting()
				if o.flags&fWritePaused != 0 { // a Pause must not hold the drain forever
					o.flags &^= fWritePaused
					o.updateInterest()
				}
			}
		}
	})
	for c := range r.resolving {
		c.CloseAfterWriting()
	}
}

// onLoop reports whether the caller is the loop goroutine, inside one of
// its callbacks. The loop's own flag answers for the common case: while
// the loop is not running callbacks (it sleeps in its poller, or it is not
// running), no caller can be one of them. Only while it is does the
// caller's goroutine id decide (parsed from its stack header: Go exposes
// no goroutine identity), since another goroutine may call at that moment
// too.
func (r *Reactor) onLoop() bool {
	return r.inCallbacks.Load() && goid() == r.loopGID.Load()
}
