package reactor

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// Reasons passed to a ProxyTo stop callback (see WithProxyStopped). Test them
// with errors.Is: a target-closed reason also wraps the target's own close
// reason when it had one.
var (
	// ErrProxyLimit: the byte limit given with WithProxyLimit was reached
	// (EventMachine's proxy_completed).
	ErrProxyLimit = errors.New("reactor: proxy byte limit reached")
	// ErrProxyTargetClosed: the target closed, started closing or shut its
	// write side (EventMachine's proxy_target_unbound). The source stays open.
	ErrProxyTargetClosed = errors.New("reactor: proxy target closed")
	// ErrProxyStopped: StopProxy was called, or ProxyTo replaced the target.
	ErrProxyStopped = errors.New("reactor: proxy stopped")
	// ErrProxyTargetBusy is returned by ProxyTo when another Conn already
	// proxies to the target (a target has one source at a time).
	ErrProxyTargetBusy = errors.New("reactor: proxy target already has a source")
)

// defaultProxyBuffer is how many bytes a target may hold queued before its
// source is paused, unless WithProxyBuffer says otherwise.
const defaultProxyBuffer = 64 << 10

// ProxyOption configures one ProxyTo.
type ProxyOption func(*proxyConfig)

type proxyConfig struct {
	limit    int64
	buffer   int
	onStop   func(src *Conn, reason error)
	counter  *atomic.Uint64
	noSplice bool
}

// WithProxyLimit stops proxying by itself after n bytes have been moved
// (EventMachine's length argument); the stop callback then gets
// ErrProxyLimit, and the source's later bytes go to ReceiveData. The source
// never reads past the limit. n <= 0 means no limit (the default).
func WithProxyLimit(n int64) ProxyOption {
	return func(pc *proxyConfig) { pc.limit = max(n, 0) }
}

// WithProxyBuffer sets how many bytes the target may hold queued (its
// OutboundSize) before the source stops reading; the source reads again
// when the target's buffer has drained (default 64 KiB, EventMachine's
// bufsize). The target then holds at most this plus one read (64 KiB by
// default, see WithReadBufferSize). Values below 1 are raised to 1.
func WithProxyBuffer(n int) ProxyOption {
	return func(pc *proxyConfig) { pc.buffer = max(n, 1) }
}

// WithProxyStopped calls fn on the reactor goroutine, once, when proxying
// from src ends for a reason other than src's own close (Unbind reports
// that): the limit was reached (ErrProxyLimit), the target closed
// (ErrProxyTargetClosed, EventMachine's proxy_target_unbound), or StopProxy
// or another ProxyTo ended it (ErrProxyStopped). When fn runs, src already
// delivers its data to ReceiveData again; fn may call ProxyTo.
func WithProxyStopped(fn func(src *Conn, reason error)) ProxyOption {
	return func(pc *proxyConfig) { pc.onStop = fn }
}

// WithProxyCounter adds every byte moved from source to target to ctr as it
// is moved, so that another goroutine can watch the traffic (the proxy
// package's statistics use this).
func WithProxyCounter(ctr *atomic.Uint64) ProxyOption {
	return func(pc *proxyConfig) { pc.counter = ctr }
}

// WithProxySplice turns the zero-copy path on or off for this proxy (default
// on where the OS has splice(2)). Off, bytes go through the loop's read
// buffer and the target's Write, as on other systems.
func WithProxySplice(on bool) ProxyOption {
	return func(pc *proxyConfig) { pc.noSplice = !on }
}

// proxyState is a Conn's part in proxying: as a source (dst != nil) its
// input goes to dst; as a target (src != nil) it takes src's input. A Conn
// may be both (a relay proxies each side to the other). It exists only
// while one of its roles is in use or spliced bytes wait in its pipe.
type proxyState struct {
	// Source role.
	dst      *Conn
	cfg      proxyConfig
	moved    int64
	small    bool // the last move was small: copy rather than splice next time
	noSplice bool // splice failed on this pair of fds: copy from now on
	spliced  int64
	copied   int64

	// Target role.
	src  *Conn
	pipe *pipe // bytes spliced for this Conn that its socket has not taken; written before out
}

// The proxy is a stage (stage.go) of each Conn that has a role in it: a
// source's reads go to its target (proxyRead, with splice when it can);
// a target's spliced bytes wait in its pipe ahead of its outbound buffer.

func (ps *proxyState) readable(c *Conn) {
	if ps.dst != nil {
		c.r.proxyRead(c) // proxy_read.go
		return
	}
	c.r.readPlain(c) // a target only: its own input goes to ReceiveData
}

func (ps *proxyState) write(c *Conn, p []byte) (int, error) { return c.writeSocket(p) }

// held returns the spliced bytes waiting to be written.
func (ps *proxyState) held() int {
	if ps.pipe == nil {
		return 0
	}
	return ps.pipe.n
}

// ready: spliced bytes can always be written.
func (ps *proxyState) ready() bool { return ps.pipe != nil }

// flush writes the spliced bytes first (proxy_read.go).
func (ps *proxyState) flush(c *Conn) bool { return ps.pipe == nil || c.r.flushPipe(c) }

func (ps *proxyState) drained(c *Conn) { c.r.proxyDrained(c) }
func (ps *proxyState) shutdown(*Conn)  {}
func (ps *proxyState) busy() bool      { return false }
func (ps *proxyState) resumed(*Conn)   {}
func (ps *proxyState) release(c *Conn) { c.r.proxyRelease(c) }

var _ stage = (*proxyState)(nil)

// idle reports whether the state may be dropped (ProxiedBytes keeps it
// while it has a count to report).
func (ps *proxyState) idle() bool {
	return ps.dst == nil && ps.src == nil && ps.pipe == nil && ps.moved == 0
}

// proxyState returns c's part in proxying, creating it on first use: the
// proxy becomes c's stage, or, on a TLS Conn, its TLS stage carries it.
func (c *Conn) proxyState() *proxyState {
	if ps := c.px(); ps != nil {
		return ps
	}
	ps := &proxyState{}
	if ts := c.tlsStage(); ts != nil {
		ts.proxy = ps
	} else {
		c.st = ps
	}
	return ps
}

// px returns c's part in proxying, nil when it has none.
func (c *Conn) px() *proxyState {
	switch st := c.st.(type) {
	case *proxyState:
		return st
	case *tlsStage:
		return st.proxy
	}
	return nil
}

// dropIdleProxy takes the proxy out of c once it has no role left.
func (c *Conn) dropIdleProxy() {
	ps := c.px()
	if ps == nil || !ps.idle() {
		return
	}
	if ts := c.tlsStage(); ts != nil {
		ts.proxy = nil
	} else {
		c.st = plainStage{}
	}
}

// ProxyTo sends everything arriving on c to dst from now on, inside the
// loop, without ReceiveData calls on c: EventMachine's proxy_incoming_to.
// On Linux the bytes move through a pooled pipe with splice(2) (no copy
// through user space) whenever nothing is queued on dst; otherwise, and on
// other systems, they go through the loop's read buffer and dst.Write.
// Backpressure: when dst holds more than its buffer (WithProxyBuffer), c
// stops reading until dst has drained, so nothing buffers without bound.
// Proxying ends with StopProxy, WithProxyLimit, dst's close (c stays open;
// see WithProxyStopped) or c's close. A FIN from c's peer is handled as
// without a proxy (HalfCloser). Calling ProxyTo on a proxying Conn replaces
// its target. dst may be c itself (an echo). It returns ErrClosed if either
// Conn is closed or closing, ErrProxyTargetBusy if another Conn proxies to
// dst. Must be called on the reactor goroutine.
func (c *Conn) ProxyTo(dst *Conn, opts ...ProxyOption) error {
	if c.r.cfg.loopCheck {
		c.r.checkLoop("Conn.ProxyTo")
	}
	if dst == nil {
		return errors.New("reactor: ProxyTo needs a target")
	}
	if c.flags&(fClosed|fCloseAfterWriting) != 0 || dst.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
		return ErrClosed
	}
	if dps := dst.px(); dps != nil && dps.src != nil && dps.src != c {
		old := dps.src
		if old.flags&fClosed == 0 {
			return ErrProxyTargetBusy
		}
		c.r.stopProxy(old, ErrProxyStopped) // closed but not swept yet: no callback
	}
	cfg := proxyConfig{buffer: defaultProxyBuffer}
	for _, o := range opts {
		o(&cfg)
	}
	if c.Proxying() {
		c.r.stopProxy(c, ErrProxyStopped)
	}
	ps := c.proxyState()
	ps.dst, ps.cfg, ps.moved, ps.small, ps.noSplice = dst, cfg, 0, true, cfg.noSplice
	dst.proxyState().src = c
	return nil
}

// StopProxy ends proxying from c: its data goes to ReceiveData again, and
// the stop callback gets ErrProxyStopped. Bytes already handed to the
// target are still delivered. It does nothing if c is not proxying. Must be
// called on the reactor goroutine.
func (c *Conn) StopProxy() {
	if c.Proxying() {
		c.r.stopProxy(c, ErrProxyStopped)
	}
}

// Proxying reports whether c is proxying its input to another Conn. Must be
// called on the reactor goroutine.
func (c *Conn) Proxying() bool {
	ps := c.px()
	return ps != nil && ps.dst != nil
}

// ProxiedBytes returns the bytes moved since the last ProxyTo, as
// EventMachine's get_proxied_bytes (kept after proxying stops, until the
// next ProxyTo). Must be called on the reactor goroutine.
func (c *Conn) ProxiedBytes() int64 {
	if ps := c.px(); ps != nil {
		return ps.moved
	}
	return 0
}

// stopProxy ends src's proxying: the pair is unlinked, src reads again and
// the stop callback runs with reason.
func (r *Reactor) stopProxy(src *Conn, reason error) {
	ps := src.px()
	dst := ps.dst
	onStop := ps.cfg.onStop
	ps.dst, ps.cfg = nil, proxyConfig{}
	if dps := dst.px(); dps != nil && dps.src == src {
		dps.src = nil
		dst.dropIdleProxy()
	}
	if src.flags&fProxyWait != 0 {
		src.flags &^= fProxyWait
		src.updateInterest()
	}
	src.dropIdleProxy()
	if onStop != nil && src.flags&fClosed == 0 {
		r.callConn(src, func(c *Conn) { onStop(c, reason) })
	}
}

// targetGone is the stop reason for a target that closed or stopped
// taking data.
func targetGone(dst *Conn) error {
	if dst.reason != nil {
		return fmt.Errorf("%w: %w", ErrProxyTargetClosed, dst.reason)
	}
	return ErrProxyTargetClosed
}

// proxyDrained runs when c's outbound buffer (pipe included) became empty:
// a source paused for c may read again.
func (r *Reactor) proxyDrained(c *Conn) {
	src := c.px().src
	if src != nil && src.flags&fProxyWait != 0 {
		src.flags &^= fProxyWait
		src.updateInterest()
	}
}

// proxyRelease runs when c is swept: its pipe is freed (the bytes in it
// are lost with the connection), a source proxying to c is told, and c
// stops proxying.
func (r *Reactor) proxyRelease(c *Conn) {
	ps := c.px()
	if ps.pipe != nil {
		r.pipes.put(ps.pipe)
		ps.pipe = nil
	}
	if ps.dst != nil {
		dst := ps.dst
		ps.dst = nil
		if dps := dst.px(); dps != nil && dps.src == c {
			dps.src = nil
			dst.dropIdleProxy()
		}
	}
	if src := ps.src; src != nil {
		ps.src = nil
		if sps := src.px(); src != c && sps != nil && sps.dst == c {
			r.stopProxy(src, targetGone(c))
		}
	}
}
