package reactor

import "fmt"

// WithLoopCheck makes every loop-only method of the Reactor and its Conns
// check that it runs on the loop goroutine while Run runs, and panic with
// a message naming the method and the fix when it does not (default: on
// in builds with the race detector, off otherwise). On Linux Run then
// locks the loop goroutine to its OS thread and the check is a gettid(2)
// per call (0.6–0.9 µs on the VM it was measured on, BenchmarkLoopCheck;
// elsewhere a goroutine-id lookup, about 4 µs). It is meant for tests and debugging, where a
// silent data race would otherwise hang or corrupt a connection.
func WithLoopCheck(on bool) Option { return func(c *config) { c.loopCheck = on } }

// checkLoop panics if the loop check is on, the loop runs, and the caller
// is another goroutine. Before Run (set-up) and after it, any goroutine may
// call, as documented.
func (r *Reactor) checkLoop(method string) {
	if !r.cfg.loopCheck || !r.running.Load() {
		return
	}
	if loopIdentity() != r.loopID {
		panic(fmt.Sprintf("reactor: %s called on goroutine %d, but it must run on the reactor's loop goroutine (%d): "+
			"from another goroutine use c.AsyncWrite or c.AsyncClose, or r.NextTick(func() { ... }) to run the call on the loop",
			method, goid(), r.loopGID.Load()))
	}
}

// AsyncWrite queues a copy of p to be written on the loop, in call order
// with the other AsyncWrites of the same goroutine (gnet's and nbio's
// AsyncWrite). Safe for concurrent use: it is how other goroutines write
// to a Conn. If the Conn is closed by the time the loop runs it, or the
// reactor has stopped, p is dropped (a Conn's Unbind tells its handler
// when it closed).
func (c *Conn) AsyncWrite(p []byte) {
	b := append([]byte(nil), p...)
	c.r.post(func() { c.Write(b) })
}

// AsyncClose closes the Conn on the loop, after the writes queued before
// it (AsyncWrite, NextTick), as Close does: queued output not yet sent is
// dropped. Safe for concurrent use.
func (c *Conn) AsyncClose() {
	c.r.post(func() { c.Close() })
}
