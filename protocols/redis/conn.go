package redis

import (
	"time"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// role says what a conn is for.
type role uint8

const (
	roleMain     role = iota // the pipelined connection
	rolePubSub               // RESP2 subscriber connection
	roleBlocking             // one blocking command at a time, no reconnect
)

// pending is a command waiting for its reply.
type pending struct {
	cb     func(Value, error)
	pubsub bool // (un)subscribe: answered by a push confirmation on RESP3
}

// conn is one connection to the server with its pipeline: commands are
// appended to out and written once per loop iteration; pend holds their
// callbacks in order. It is the reactor.Handler of each of its successive
// reactor.Conns and reconnects as reconnect.go says. Loop-only.
type conn struct {
	r    *reactor.Reactor
	o    *options
	role role
	net  string
	addr string

	rc     *reactor.Conn // nil between connections
	writes int           // flushes that wrote, for tests
	state  State
	ready  bool // handshake done: commands go straight to out
	proto  int  // 2 or 3 once HELLO was answered
	first  bool // not connected yet, ever

	out         []byte
	flushQueued bool
	flushFn     func()
	pend        ring

	offBuf []byte    // commands held while not ready, encoded
	offCbs []pending // their callbacks

	inbuf []byte
	need  int     // Parse's hint: the buffer length worth another try
	scan  Scanner // walks replies that outgrow scanAbove, once

	attempts  int
	retry     *timer.Timer
	tmo       *timer.Timer
	health    *timer.Timer
	progress  time.Time
	closeErr  error // why this side closed rc
	closed    bool  // Close was called
	onReady   func()
	onMessage func(Value) // pushes (and RESP2 pub/sub arrays)
	onGone    func()      // roleBlocking: the connection is gone for good
}

func newConn(r *reactor.Reactor, o *options, ro role, network, addr string) *conn {
	c := &conn{r: r, o: o, role: ro, net: network, addr: addr, state: StateConnecting, first: true}
	c.flushFn = c.flush
	return c
}

// send queues one encoded command and its callback: into the pipeline if
// the connection is ready, else into the offline queue (or fails it).
func (c *conn) send(cmd []byte, p pending) {
	if c.ready {
		c.push(cmd, p)
		return
	}
	if err := c.offlineErr(1); err != nil {
		c.later(p.cb, err)
		return
	}
	c.offBuf = append(c.offBuf, cmd...)
	c.offCbs = append(c.offCbs, p)
}

// sendMany is send for several commands encoded together in cmds, with
// their callbacks in order: they stay contiguous in the pipeline or in
// the offline queue.
func (c *conn) sendMany(cmds []byte, ps []pending) {
	if c.ready {
		c.push(cmds, ps[0])
		for _, p := range ps[1:] {
			c.pend.push(p)
		}
		return
	}
	if err := c.offlineErr(len(ps)); err != nil {
		for _, p := range ps {
			c.later(p.cb, err)
		}
		return
	}
	c.offBuf = append(c.offBuf, cmds...)
	c.offCbs = append(c.offCbs, ps...)
}

// offlineErr says why n more commands cannot wait for the connection, or
// nil if they can.
func (c *conn) offlineErr(n int) error {
	switch {
	case c.closed:
		return ErrClosed
	case c.state == StateFailed:
		return ErrFailed
	case c.o.failFast && !c.first:
		return ErrNotConnected
	case len(c.offCbs)+n > c.o.offlineQueue:
		return ErrQueueFull
	}
	return nil
}

// push appends to the pipeline and makes sure a flush is queued.
func (c *conn) push(cmd []byte, p pending) {
	c.out = append(c.out, cmd...)
	if c.pend.len() == 0 {
		c.progress = c.r.Now()
		c.armTimeout()
	}
	c.pend.push(p)
	if !c.flushQueued {
		c.flushQueued = true
		c.r.NextTick(c.flushFn)
	}
}

// later calls cb with err on a next tick: a callback never runs inside the
// call that issued its command.
func (c *conn) later(cb func(Value, error), err error) {
	if cb != nil {
		c.r.NextTick(func() { cb(Value{}, err) })
	}
}

// flush writes what this iteration queued, in one Write.
func (c *conn) flush() {
	c.flushQueued = false
	if len(c.out) == 0 || c.rc == nil || c.rc.Closed() {
		return
	}
	c.writes++
	_, _ = c.rc.Write(c.out) // a failed Write closes rc: Unbind follows
	if cap(c.out) > 1<<20 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
}

// PostInit implements reactor.Handler.
func (c *conn) PostInit(rc *reactor.Conn) { c.rc = rc }

// ConnectionCompleted implements reactor.Handler: the handshake starts.
func (c *conn) ConnectionCompleted(rc *reactor.Conn) {
	if rc == c.rc {
		c.handshake()
	}
}

// ReceiveData implements reactor.Handler: it parses replies and hands each
// to the oldest waiting callback (or, for a push, to the subscriptions).
func (c *conn) ReceiveData(rc *reactor.Conn, data []byte) {
	if rc != c.rc {
		return
	}
	c.progress = c.r.Now() // data arrived: the server is answering
	buf := data
	if len(c.inbuf) > 0 {
		c.inbuf = append(c.inbuf, data...)
		buf = c.inbuf
	}
	for len(buf) > 0 && len(buf) >= c.need {
		v, n, err := c.parse(buf)
		if err == ErrIncomplete {
			break
		}
		if err != nil {
			c.closeWith(err)
			return
		}
		buf = buf[n:]
		c.handle(v)
		if c.rc != rc || rc.Closed() {
			return
		}
	}
	c.keep(buf)
}

// scanAbove is the buffered length past which a reply is first walked by
// the Scanner: below it, parsing again after each read costs little.
const scanAbove = 64 << 10

// parse takes the first reply off buf, or says it is incomplete.
func (c *conn) parse(buf []byte) (Value, int, error) {
	if len(buf) <= scanAbove {
		v, n, err := Parse(buf, c.o.limits)
		c.need = 0
		if err == ErrIncomplete {
			c.need = n
		}
		return v, n, err
	}
	c.need = 0
	end, err := c.scan.Scan(buf, c.o.limits)
	if err != nil {
		return Value{}, 0, err
	}
	v, n, err := Parse(buf[:end], c.o.limits)
	if err == nil && n != end || err == ErrIncomplete {
		return Value{}, 0, protoErr("reply of %d bytes does not parse whole", end)
	}
	return v, n, err
}

// keep saves the unparsed tail for the next read.
func (c *conn) keep(buf []byte) {
	switch {
	case len(buf) == 0 && cap(c.inbuf) > 1<<20:
		c.inbuf = nil
	case len(c.inbuf) > 0:
		c.inbuf = c.inbuf[:copy(c.inbuf, buf)]
	default:
		c.inbuf = append(c.inbuf[:0], buf...)
	}
}

func (c *conn) handle(v Value) {
	if v.Kind == KindPush || (c.role == rolePubSub && v.Kind == KindArray) {
		if c.handlePush(v) {
			return
		}
	}
	p, ok := c.pend.pop()
	if !ok {
		c.closeWith(ErrOutOfSync)
		return
	}
	if p.cb != nil {
		p.cb(v, replyError(v))
	}
}

// handlePush routes a push: pub/sub confirmations answer the (un)subscribe
// command waiting for them, messages and the rest go to onMessage. It
// reports false for a RESP2 array that is an ordinary reply.
func (c *conn) handlePush(v Value) bool {
	if len(v.Elems) == 0 || (v.Elems[0].Kind != KindBulk && v.Elems[0].Kind != KindSimple) {
		if v.Kind == KindPush && c.onMessage != nil {
			c.onMessage(v)
		}
		return v.Kind == KindPush
	}
	switch v.Elems[0].Str {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
		if head, ok := c.pend.peek(); ok && head.pubsub {
			c.pend.pop()
			if head.cb != nil {
				head.cb(v, nil)
			}
			return true
		}
	case "message", "pmessage", "smessage":
	default:
		if v.Kind != KindPush {
			return false
		}
	}
	if c.onMessage != nil {
		c.onMessage(v)
	}
	return true
}

// releaseOffline moves the commands held while not connected into the
// pipeline, in order.
func (c *conn) releaseOffline() {
	if len(c.offCbs) == 0 {
		return
	}
	buf, cbs := c.offBuf, c.offCbs
	c.offBuf, c.offCbs = nil, nil
	c.out = append(c.out, buf...)
	if c.pend.len() == 0 {
		c.progress = c.r.Now()
		c.armTimeout()
	}
	for _, p := range cbs {
		c.pend.push(p)
	}
	if !c.flushQueued {
		c.flushQueued = true
		c.r.NextTick(c.flushFn)
	}
}

// usable reports whether a blocking-pool conn can take another command.
func (c *conn) usable() bool {
	return !c.closed && c.state != StateFailed && c.state != StateClosed
}

var _ reactor.Handler = (*conn)(nil)
