package websocket

import (
	"errors"
	"io"
	"net/http"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// Conn is one WebSocket connection, server or client side: the adapter
// between a reactor.Conn and the pure Reader. Its methods must be called
// on the reactor goroutine.
type Conn struct {
	cfg   *Config
	rc    *reactor.Conn
	rd    Reader
	role  Role
	req   *http.Request // the upgrade request (server side)
	proto string        // the negotiated subprotocol
	pmd   *deflate      // permessage-deflate, when negotiated

	wbuf []byte // scratch for encoding frames

	// Client handshake (client.go): the head read so far, the key sent.
	hs     *clientHandshake
	opened bool // OnOpen ran (OnClose is owed)

	sentClose  bool // our close frame is queued
	gotClose   bool // the peer's close frame arrived
	closeCode  uint16
	closeText  string
	failure    error // why the connection is failed (unclean)
	closeTimer *timer.Timer
	done       bool // Unbind ran

	// Data is any value the program wants to keep with the connection.
	Data any
}

// pongBacklog is the outbound backlog beyond which pings get no pong.
const pongBacklog = 1 << 20

var (
	_ reactor.Handler    = (*Conn)(nil)
	_ reactor.Drainer    = (*Conn)(nil)
	_ reactor.HalfCloser = (*Conn)(nil)
)

func newConn(cfg *Config, role Role) *Conn {
	c := &Conn{cfg: cfg, role: role}
	c.rd = Reader{Role: role, MaxFrame: cfg.MaxFrame, MaxMessage: cfg.MaxMessage}
	return c
}

// Request returns the upgrade request of a server-side Conn (nil on a
// client). Its body is empty; its context ends when the connection closes.
func (c *Conn) Request() *http.Request { return c.req }

// Subprotocol returns the negotiated subprotocol, or "".
func (c *Conn) Subprotocol() string { return c.proto }

// Compressed reports whether permessage-deflate was negotiated.
func (c *Conn) Compressed() bool { return c.pmd != nil }

// Underlying returns the reactor.Conn (for its addresses, TLS state,
// inactivity timeout). Writing to it directly breaks the framing.
func (c *Conn) Underlying() *reactor.Conn { return c.rc }

// OutboundSize returns the bytes queued for the peer and not yet taken by
// the kernel: a producer stops above its high-water mark and goes on in
// OnDrained (EventMachine's get_outbound_data_size).
func (c *Conn) OutboundSize() int { return c.rc.OutboundSize() }

// PostInit records the reactor.Conn.
func (c *Conn) PostInit(rc *reactor.Conn) { c.rc = rc }

// ReceiveData parses frames and dispatches them.
func (c *Conn) ReceiveData(_ *reactor.Conn, data []byte) {
	if c.hs != nil {
		data = c.clientHead(data)
		if c.hs != nil || len(data) == 0 {
			return
		}
	}
	c.frames(data)
}

// frames runs data through the Reader and dispatches each event.
func (c *Conn) frames(data []byte) {
	for len(data) > 0 && !c.done && c.failure == nil {
		n, ev, ok, err := c.rd.Next(data)
		data = data[n:]
		if err != nil {
			c.fail(err)
			return
		}
		if ok {
			c.dispatch(ev)
		}
	}
}

// dispatch acts on one message or control frame.
func (c *Conn) dispatch(ev Event) {
	if c.gotClose {
		return // nothing counts after the peer's close frame
	}
	switch ev.Op {
	case OpText, OpBinary:
		if c.sentClose {
			return // we are closing: the peer's late messages are dropped
		}
		p := ev.Payload
		if ev.Compressed {
			var err error
			if p, err = c.pmd.inflate(p, c.rd.maxMessage(), ev.Op == OpText); err != nil {
				c.fail(err)
				return
			}
		}
		if ev.Op == OpText {
			if h := c.cfg.OnMessage; h != nil {
				h(c, string(p))
			}
		} else if h := c.cfg.OnBinary; h != nil {
			h(c, p)
		}
	case OpPing:
		// A peer that pings and never reads cannot grow the backlog: past
		// pongBacklog, pings go unanswered until it reads (RFC 6455 5.5.3
		// lets an endpoint answer only the latest of several pings).
		if !c.sentClose && c.rc.OutboundSize() < pongBacklog {
			c.writeFrame(OpPong, 0, ev.Payload)
		}
		if h := c.cfg.OnPing; h != nil {
			h(c, ev.Payload)
		}
	case OpPong:
		if h := c.cfg.OnPong; h != nil {
			h(c, ev.Payload)
		}
	case OpClose:
		c.onCloseFrame(ev.Payload)
	}
}

// onCloseFrame answers the peer's close frame (echoing its code) or
// completes our own close handshake.
func (c *Conn) onCloseFrame(p []byte) {
	c.gotClose = true
	c.closeCode, c.closeText = ParseClose(p)
	if !c.sentClose {
		c.sentClose = true
		c.writeFrame(OpClose, 0, AppendClose(nil, c.closeCode, c.closeText))
	}
	c.finishClose()
}

// finishClose ends the TCP connection once both close frames are out: a
// server closes at once (after writing), a client waits for the server
// to close first, within the close timeout (RFC 6455 7.1.1).
func (c *Conn) finishClose() {
	if c.role == RoleServer {
		c.rc.CloseAfterWriting()
		return
	}
	c.armCloseTimer()
}

// fail fails the connection (RFC 6455 7.1.7): the close frame with the
// error's code if it is a protocol error, then the TCP close.
func (c *Conn) fail(err error) {
	if c.failure != nil || c.done {
		return
	}
	c.failure = err
	c.cfg.logger().Debug("websocket: failing the connection", "remote", c.rc.RemoteAddr(), "err", err)
	var pe *ProtocolError
	if errors.As(err, &pe) && !c.sentClose {
		c.sentClose = true
		c.writeFrame(OpClose, 0, AppendClose(nil, pe.Code, ""))
	}
	if h := c.cfg.OnError; h != nil && c.opened {
		h(c, err)
	}
	c.rc.CloseAfterWriting()
}

// armCloseTimer starts the close handshake's deadline once.
func (c *Conn) armCloseTimer() {
	if c.closeTimer != nil || c.done {
		return
	}
	c.closeTimer = c.rc.Reactor().AddTimer(c.cfg.closeTimeout(), func() {
		if !c.done {
			if !c.gotClose {
				c.failure = ErrCloseTimeout
			}
			c.rc.Close()
		}
	})
}

// OutboundDrained passes the drain on to OnDrained.
func (c *Conn) OutboundDrained(*reactor.Conn) {
	if h := c.cfg.OnDrained; h != nil && c.opened && !c.sentClose {
		h(c)
	}
}

// PeerClosedWrite: the peer sent FIN. After a close handshake this is the
// expected end; otherwise the connection dropped without one (1006).
func (c *Conn) PeerClosedWrite(*reactor.Conn) {
	if c.failure == nil && !c.gotClose {
		c.failure = io.EOF
	}
	c.rc.CloseAfterWriting()
}

// ConnectionCompleted sends a client's handshake (client.go).
func (c *Conn) ConnectionCompleted(*reactor.Conn) {
	if c.hs != nil {
		c.sendClientHead()
	}
}

// Unbind reports the end: OnClose for an opened Conn, OnError for a
// client whose handshake failed.
func (c *Conn) Unbind(_ *reactor.Conn, reason error) {
	if c.done {
		return
	}
	c.done = true
	if c.closeTimer != nil {
		c.closeTimer.Cancel()
	}
	if c.pmd != nil {
		c.pmd.release()
	}
	if !c.opened {
		if c.hs != nil {
			c.hs.fail(c, reason)
		}
		return
	}
	ev := CloseEvent{Code: CloseAbnormal, Err: c.failure}
	if c.gotClose {
		ev.Code, ev.Reason = c.closeCode, c.closeText
		ev.WasClean = c.failure == nil
	}
	if ev.Err == nil && !ev.WasClean {
		ev.Err = reason
		if ev.Err == nil {
			ev.Err = io.ErrUnexpectedEOF
		}
	}
	if h := c.cfg.OnClose; h != nil {
		h(c, ev)
	}
}
