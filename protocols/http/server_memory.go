package http

import (
	"fmt"
	"net/http"
	"sync"
)

// serverMemory is a Server's budget for the request bodies it buffers,
// shared by all its connections on every reactor it serves. A body
// reserves what it will hold before its bytes are read (a Content-Length
// body exactly its length, a chunked one in doubling steps) and gives it
// back when its answer ends. A connection whose reservation does not fit
// waits, paused (TCP holds the client back), and is granted its bytes in
// arrival order as others give theirs back.
type serverMemory struct {
	mu      sync.Mutex
	max     int64 // the budget; 0: unbounded
	used    int64
	waiters []*serverConn // in arrival order; each waits for its memWant
}

// reserve takes n bytes for sc. If they do not fit and wait is true, sc is
// queued and granted them later through its reactor (memGranted);
// reserve reports false either way.
func (m *serverMemory) reserve(sc *serverConn, n int64, wait bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	// A first reservation queues behind the waiters; a body that already
	// holds memory grows past them when it fits (it cannot wait).
	if (len(m.waiters) == 0 || !wait) && m.used+n <= m.max {
		m.used += n
		return true
	}
	if wait {
		sc.memWant = n
		m.waiters = append(m.waiters, sc)
	}
	return false
}

// release gives back n bytes and grants what now fits to the waiters, in
// order.
func (m *serverMemory) release(n int64) {
	if n == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= n
	for len(m.waiters) > 0 && m.used+m.waiters[0].memWant <= m.max {
		sc := m.waiters[0]
		m.used += sc.memWant
		m.waiters[0] = nil
		m.waiters = m.waiters[1:]
		sc.c.Reactor().NextTick(sc.memGranted)
	}
	if len(m.waiters) == 0 {
		m.waiters = nil
	}
}

// cancel takes sc out of the queue (its connection closed).
func (m *serverMemory) cancel(sc *serverConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, w := range m.waiters {
		if w == sc {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			return
		}
	}
}

// inUse returns the bytes reserved and the connections waiting.
func (m *serverMemory) inUse() (int64, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, len(m.waiters)
}

// BodyMemory returns how many bytes the buffered request bodies of the
// Server's connections hold now (their reservations against MaxBodyMemory)
// and how many connections wait for room. Safe for concurrent use.
func (s *Server) BodyMemory() (inUse int64, waiting int) { return s.memory().inUse() }

func (s *Server) memory() *serverMemory {
	s.setup.Do(s.applyDefaults)
	return &s.mem
}

// grow answers the parser's request for n more bytes of room for the body
// being buffered. A Content-Length body asks once, for its whole length; a
// chunked one asks as it grows and is given at least as much again as it
// holds. The first reservation of a body may wait; a chunked body that
// cannot grow is refused with 503 rather than wait holding memory, which
// could leave every waiter waiting on another.
func (sc *serverConn) grow(n int64) {
	if sc.mem > 0 {
		n = max(n, min(sc.mem, sc.lim.maxBody-sc.mem))
	}
	m := sc.s.memory()
	switch {
	case sc.mem+n > m.max:
		sc.refuse(&serverRequestError{status: http.StatusRequestEntityTooLarge,
			reason: fmt.Sprintf("request body larger than the server buffers (%d bytes)", m.max)})
		return
	case !m.reserve(sc, n, sc.mem == 0):
		if sc.mem == 0 {
			sc.memWait = true // memGranted goes on
			return
		}
		sc.refuse(&serverRequestError{status: http.StatusServiceUnavailable,
			reason: "no memory for the request body now; try again later"})
		return
	}
	sc.mem += n
	sc.p.grant(n)
}

// memGranted runs on the loop when the reservation sc waited for was
// granted.
func (sc *serverConn) memGranted() {
	n := sc.memWant
	if sc.closed || sc.closing {
		sc.s.memory().release(n)
		return
	}
	sc.memWait = false
	sc.mem += n
	sc.p.grant(n)
	sc.resume()
}

// releaseMem gives back n bytes of body memory.
func (sc *serverConn) releaseMem(n int64) {
	if n > 0 {
		sc.s.memory().release(n)
	}
}
