package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// Duplex is em-proxy's traffic duplication: every client gets a connection
// to Production, which answers it, and one to Staging, which gets a copy of
// everything the client sends and whose answers are read and thrown away.
// Staging can never slow down, block or break production: when its copy
// falls more than StagingBuffer bytes behind, that client's staging
// connection is cut off (a copy with a gap in it would be garbage to the
// staging server) and the drop is counted; a staging server that is down or
// refuses is counted and otherwise ignored. Production behaves as a Relay's
// backend; its answers are spliced to the client, while the client's bytes
// go through the loop (read once, written to both). Set the fields before
// the first Handler call.
type Duplex struct {
	Production string // the backend that answers
	Staging    string // the backend that gets a copy
	// StagingBuffer is how far the staging copy may fall behind, in bytes,
	// before it is cut off (default 1 MiB).
	StagingBuffer int
	Options

	once    sync.Once
	set     *settings
	lastLog atomic.Int64 // unix nanoseconds of the last staging failure logged
}

// stagingLogEvery rate-limits the log lines about a failing staging server.
const stagingLogEvery = 10 * time.Second

// Handler is the newHandler to pass to reactor.Listen. Must be called on
// the reactor goroutine (Listen does); one Duplex may serve several
// reactors.
func (p *Duplex) Handler(client *reactor.Conn) reactor.Handler {
	p.init()
	limit := p.StagingBuffer
	if limit <= 0 {
		limit = 1 << 20
	}
	return clientSide{&session{set: p.set, addr: p.Production, dup: &staging{d: p, limit: limit}}}
}

// Stats returns the Duplex's counters. Safe for concurrent use.
func (p *Duplex) Stats() *Stats {
	p.init()
	return p.set.stats
}

func (p *Duplex) init() { p.once.Do(func() { p.set = p.Options.settings() }) }

// logStaging logs a staging failure at most once per stagingLogEvery.
func (p *Duplex) logStaging(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := p.lastLog.Load()
	if now-last < int64(stagingLogEvery) || !p.lastLog.CompareAndSwap(last, now) {
		return
	}
	p.set.log.Warn(msg, args...)
}

// staging is one client's copy to the staging server.
type staging struct {
	d      *Duplex
	limit  int
	conn   *reactor.Conn // nil once gone
	up     bool
	cut    bool
	queued int // bytes queued while connecting: counted once connected
}

// stagingSide is the staging Conn's handler: answers are dropped, a
// half-close changes nothing (the copy may go on), a failure is counted.
type stagingSide struct{ st *staging }

func (h stagingSide) PostInit(*reactor.Conn)               {}
func (h stagingSide) ConnectionCompleted(*reactor.Conn)    { h.st.connected() }
func (h stagingSide) ReceiveData(*reactor.Conn, []byte)    {}
func (h stagingSide) PeerClosedWrite(*reactor.Conn)        {}
func (h stagingSide) Unbind(_ *reactor.Conn, reason error) { h.st.gone(reason) }

// dial starts the staging connection; a failure only costs the copy.
func (st *staging) dial(s *session) {
	set := st.d.set
	c, err := s.client.Reactor().Connect(set.Network, st.d.Staging, stagingSide{st},
		reactor.WithPendingConnectTimeout(set.ConnectTimeout),
		reactor.WithInactivityTimeout(set.IdleTimeout))
	if err != nil {
		st.gone(err)
		return
	}
	st.conn = c
}

func (st *staging) connected() {
	st.up = true
	st.d.set.stats.stagingBytes.Add(uint64(st.queued))
	st.queued = 0
}

func (st *staging) gone(reason error) {
	st.conn = nil
	st.d.set.stats.stagingDropped.Add(uint64(st.queued))
	st.queued = 0
	if !st.up && !st.cut {
		st.d.set.stats.stagingConnectFailures.Add(1)
		st.d.logStaging("proxy: staging connect failed; its copies are dropped", "staging", st.d.Staging, "err", reason)
	}
}

// tee sends the client's bytes to production and a copy to staging, and
// pauses the client while production holds a full buffer (resumed by
// backendDrained). Staging never pauses anything.
func (s *session) tee(p []byte) {
	b := s.backend
	if b == nil || b.Closed() {
		return
	}
	if _, err := b.Write(p); err != nil {
		return
	}
	s.wroteToBackend(len(p))
	s.dup.send(p)
	if b.OutboundSize() >= s.set.Buffer && !s.paused {
		s.paused = true
		s.client.PauseReading()
	}
}

// copy queues p for staging, or drops it.
func (st *staging) send(p []byte) {
	stats := st.d.set.stats
	c := st.conn
	switch {
	case c == nil || st.cut || c.Closed():
		stats.stagingDropped.Add(uint64(len(p)))
	case c.OutboundSize()+len(p) > st.limit:
		st.cut = true
		c.Close()
		stats.stagingCutoffs.Add(1)
		stats.stagingDropped.Add(uint64(len(p)))
		st.d.logStaging("proxy: staging fell behind; its copy of a connection was cut off", "staging", st.d.Staging, "buffer", st.limit)
	default:
		switch _, err := c.Write(p); {
		case err != nil:
			stats.stagingDropped.Add(uint64(len(p)))
		case st.up:
			stats.stagingBytes.Add(uint64(len(p)))
		default:
			st.queued += len(p)
		}
	}
}
