package reactor

import (
	"expvar"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a reactor's counters (Reactor.Stats). Counts are
// since New unless said otherwise.
type Stats struct {
	Iterations   uint64 // loop iterations (polls)
	Events       uint64 // poller events dispatched
	Connections  int    // Conns not yet unbound (ConnectionCount)
	Timers       int    // timers armed (TimerCount)
	TicksQueued  int    // NextTick functions waiting for the next iteration
	BytesRead    uint64 // bytes read from sockets (TLS: the encrypted bytes)
	BytesWritten uint64 // bytes written to sockets

	DeferQueued    int    // Defer operations waiting for a worker
	DeferRunning   int    // Defer operations running
	DeferCompleted uint64 // Defer operations finished (succeeded or failed)

	// Busy is the time the loop spent running (callbacks and its own
	// work), Waiting the time it spent in the poller's wait; Utilization is
	// Busy / (Busy + Waiting) since the previous Stats call (or since Run
	// started), as Node's eventLoopUtilization.
	Busy, Waiting time.Duration
	Utilization   float64

	// LongestCallback is the longest single callback since the previous
	// Stats call, measured only with WithSlowCallback (zero without it).
	LongestCallback time.Duration
}

// loopStats are the loop's counters: the loop keeps them in plain fields
// and publishes them into these atomics once an iteration, so that Stats
// may read them from any goroutine without the hot path paying for
// atomics per read or write.
type loopStats struct {
	bytesIn, bytesOut uint64 // loop-only running totals

	iterations, events, bytesRead, bytesWritten atomic.Uint64
	busyNs, waitNs                              atomic.Int64
	conns, timers                               atomic.Int64
	longestNs                                   atomic.Int64 // since the last Stats call (slowcb.go)

	// Stats' own memory for Utilization (Stats may be called from several
	// goroutines: swapped atomically).
	lastBusy, lastWait atomic.Int64

	waitStart time.Time // when the current poller wait began
	busyStart time.Time // when the current busy stretch began
}

// publish stores the loop's counters for Stats (once an iteration).
func (r *Reactor) publishStats(events int) {
	s := &r.stats
	s.iterations.Store(r.iter)
	s.events.Add(uint64(events))
	s.bytesRead.Store(s.bytesIn)
	s.bytesWritten.Store(s.bytesOut)
	s.conns.Store(int64(r.nconns))
	s.timers.Store(int64(r.timers.Len()))
}

// Stats returns the reactor's counters. Safe for concurrent use: the
// figures are those the loop published at the end of its last iteration
// (a loop stuck in a callback publishes nothing new; WithSlowCallback is
// what names the callback).
func (r *Reactor) Stats() Stats {
	s := &r.stats
	busy, wait := s.busyNs.Load(), s.waitNs.Load()
	st := Stats{
		Iterations:      s.iterations.Load(),
		Events:          s.events.Load(),
		Connections:     int(s.conns.Load()),
		Timers:          int(s.timers.Load()),
		TicksQueued:     r.ticks.Len(),
		BytesRead:       s.bytesRead.Load(),
		BytesWritten:    s.bytesWritten.Load(),
		Busy:            time.Duration(busy),
		Waiting:         time.Duration(wait),
		LongestCallback: time.Duration(s.longestNs.Swap(0)),
	}
	db, dw := busy-s.lastBusy.Swap(busy), wait-s.lastWait.Swap(wait)
	if db+dw > 0 {
		st.Utilization = float64(db) / float64(db+dw)
	}
	ds := r.DeferStats()
	st.DeferQueued, st.DeferRunning = ds.Queued, ds.Running
	st.DeferCompleted = ds.Completed + ds.Failed
	return st
}

// PublishExpvar publishes r.Stats() under name in expvar (so /debug/vars
// shows it), read afresh at each request. The name must be unique in the
// process (expvar panics otherwise). Safe for concurrent use.
func (r *Reactor) PublishExpvar(name string) {
	expvar.Publish(name, expvar.Func(func() any { return r.Stats() }))
}

// GroupStats is a Group's counters: the sum over its reactors and each
// reactor's own (Group.Stats).
type GroupStats struct {
	Total   Stats
	PerLoop []Stats
}

// Stats returns the counters of every reactor of the group and their sum
// (Utilization and LongestCallback: the mean and the maximum). Safe for
// concurrent use.
func (g *Group) Stats() GroupStats {
	var gs GroupStats
	t := &gs.Total
	for _, r := range g.rs {
		s := r.Stats()
		gs.PerLoop = append(gs.PerLoop, s)
		t.Iterations += s.Iterations
		t.Events += s.Events
		t.Connections += s.Connections
		t.Timers += s.Timers
		t.TicksQueued += s.TicksQueued
		t.BytesRead += s.BytesRead
		t.BytesWritten += s.BytesWritten
		t.DeferQueued += s.DeferQueued
		t.DeferRunning += s.DeferRunning
		t.DeferCompleted += s.DeferCompleted
		t.Busy += s.Busy
		t.Waiting += s.Waiting
		t.Utilization += s.Utilization / float64(len(g.rs))
		t.LongestCallback = max(t.LongestCallback, s.LongestCallback)
	}
	return gs
}

// PublishExpvar publishes g.Stats() under name in expvar.
func (g *Group) PublishExpvar(name string) {
	expvar.Publish(name, expvar.Func(func() any { return g.Stats() }))
}
