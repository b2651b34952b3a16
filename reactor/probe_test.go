package reactor

import (
	"sync"
	"testing"
	"time"
)

// probe is a Handler that records its callbacks for the test goroutine and
// runs optional hooks on the loop. handler() returns it as a plain Handler,
// drainer() also as a Drainer, halfCloser() also as a HalfCloser.
type probe struct {
	OnPostInit   func(c *Conn)
	OnCompleted  func(c *Conn)
	OnData       func(c *Conn, data []byte)
	OnDrained    func(c *Conn)
	OnPeerClosed func(c *Conn)
	OnUnbind     func(c *Conn, reason error)
	Drainer      bool // handler() implements Drainer
	HalfCloser   bool // handler() implements HalfCloser

	mu       sync.Mutex
	conn     *Conn
	events   []string
	got      []byte
	reason   error
	unbinds  int
	unbound  chan struct{}
	gotData  chan struct{} // signalled (non-blocking) on every ReceiveData
	announce chan *probe   // if set, PostInit sends the probe here when done
}

// newProbe returns a probe whose Unbind count the harness checks at cleanup.
func (h *harness) newProbe() *probe {
	p := looseProbe()
	h.mu.Lock()
	h.probes = append(h.probes, p)
	h.mu.Unlock()
	return p
}

// looseProbe returns a probe the harness does not check.
func looseProbe() *probe {
	return &probe{unbound: make(chan struct{}), gotData: make(chan struct{}, 1)}
}

func (p *probe) handler() Handler {
	switch {
	case p.Drainer && p.HalfCloser:
		return drainHalfProbe{p}
	case p.Drainer:
		return drainProbe{p}
	case p.HalfCloser:
		return halfProbe{p}
	}
	return p
}

func (p *probe) record(ev string) {
	p.mu.Lock()
	p.events = append(p.events, ev)
	p.mu.Unlock()
}

func (p *probe) PostInit(c *Conn) {
	p.mu.Lock()
	p.conn = c
	p.mu.Unlock()
	p.record("post")
	if p.OnPostInit != nil {
		p.OnPostInit(c)
	}
	if p.announce != nil {
		p.announce <- p
	}
}

func (p *probe) ConnectionCompleted(c *Conn) {
	p.record("completed")
	if p.OnCompleted != nil {
		p.OnCompleted(c)
	}
}

func (p *probe) ReceiveData(c *Conn, data []byte) {
	p.mu.Lock()
	p.got = append(p.got, data...)
	if len(p.events) == 0 || p.events[len(p.events)-1] != "data" {
		p.events = append(p.events, "data")
	}
	p.mu.Unlock()
	select {
	case p.gotData <- struct{}{}:
	default:
	}
	if p.OnData != nil {
		p.OnData(c, data)
	}
}

func (p *probe) Unbind(c *Conn, reason error) {
	p.mu.Lock()
	p.unbinds++
	n := p.unbinds
	if n == 1 {
		p.reason = reason
	}
	p.events = append(p.events, "unbind")
	p.mu.Unlock()
	if n == 1 {
		close(p.unbound)
	}
	if p.OnUnbind != nil {
		p.OnUnbind(c, reason)
	}
}

func (p *probe) drained(c *Conn) {
	p.record("drained")
	if p.OnDrained != nil {
		p.OnDrained(c)
	}
}

func (p *probe) peerClosed(c *Conn) {
	p.record("peerclosed")
	if p.OnPeerClosed != nil {
		p.OnPeerClosed(c)
	}
}

type drainProbe struct{ *probe }

func (d drainProbe) OutboundDrained(c *Conn) { d.probe.drained(c) }

type halfProbe struct{ *probe }

func (d halfProbe) PeerClosedWrite(c *Conn) { d.probe.peerClosed(c) }

type drainHalfProbe struct{ *probe }

func (d drainHalfProbe) OutboundDrained(c *Conn) { d.probe.drained(c) }
func (d drainHalfProbe) PeerClosedWrite(c *Conn) { d.probe.peerClosed(c) }

// Conn returns the probe's Conn (set by PostInit).
func (p *probe) Conn() *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn
}

// Events returns the callbacks seen so far, consecutive ReceiveData calls
// merged into one "data".
func (p *probe) Events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.events...)
}

// Got returns a copy of every byte received so far.
func (p *probe) Got() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.got...)
}

// Unbinds returns how many times Unbind ran.
func (p *probe) Unbinds() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unbinds
}

// Unbound reports whether Unbind ran.
func (p *probe) Unbound() bool { return p.Unbinds() > 0 }

// waitUnbind waits for Unbind and returns its reason.
func (p *probe) waitUnbind(t *testing.T) error {
	t.Helper()
	waitClosed(t, p.unbound, "Unbind")
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// waitGot waits until at least n bytes were received and returns them.
func (p *probe) waitGot(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		if got := p.Got(); len(got) >= n {
			return got
		}
		select {
		case <-p.gotData:
		case <-p.unbound:
			if got := p.Got(); len(got) >= n {
				return got
			}
			t.Fatalf("Unbind before %d bytes arrived (got %d)", n, len(p.Got()))
		case <-deadline:
			t.Fatalf("timed out waiting for %d bytes (got %d)", n, len(p.Got()))
		}
	}
}
