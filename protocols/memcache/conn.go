package memcache

import (
	"errors"
	"fmt"

	"github.com/evmachine/evmachine/reactor"
)

// connHandler is the reactor.Handler of one connection of a Client: the
// thin adapter between the Conn and ParseReply. A Client replaces it on
// every reconnect; a handler that is no longer the Client's current one
// ignores its events.
type connHandler struct {
	c           *Client
	conn        *reactor.Conn
	established bool
	rbuf        []byte // bytes read and not parsed yet (part of a reply)
}

var _ reactor.Handler = (*connHandler)(nil)

// connect starts a connection attempt.
func (c *Client) connect() error {
	h := &connHandler{c: c}
	c.conn = h
	if _, err := c.r.Connect(c.network(), c.addr, h, c.cfg.connOpts...); err != nil {
		c.conn = nil
		return fmt.Errorf("memcache: dial %s: %w", c.addr, err)
	}
	return nil
}

func (h *connHandler) PostInit(conn *reactor.Conn) { h.conn = conn }

// ConnectionCompleted sends what was queued meanwhile.
func (h *connHandler) ConnectionCompleted(*reactor.Conn) {
	c := h.c
	if c.conn != h {
		return
	}
	h.established = true
	c.backoff = c.cfg.reconnectMin
	c.lastErr = nil
	c.stats.Connects++
	c.cfg.logger.Debug("memcache: connected", "addr", c.addr)
	if c.cmds.len() > 0 {
		c.flush()
	}
}

// Unbind is the connection's end: commands sent on it fail, those not
// sent yet wait for the next connection.
func (h *connHandler) Unbind(_ *reactor.Conn, reason error) {
	if h.c.conn != h {
		return // the Client let go of this connection already
	}
	if reason == nil {
		reason = errors.New("connection closed")
	}
	h.c.lose(reason)
}

// lose ends the current connection because of reason: it is closed, the
// commands sent on it fail, and a reconnect is scheduled (or, without
// reconnecting, the Client closes).
func (c *Client) lose(reason error) {
	h := c.conn
	c.conn = nil
	if h != nil {
		h.conn.Close() // no-op if already closed; its Unbind is then ignored
	}
	var err error
	switch {
	case errors.Is(reason, ErrProtocol), errors.Is(reason, ErrTimeout):
		err = reason
	case h != nil && !h.established:
		err = fmt.Errorf("memcache: connect to %s: %w", c.addr, reason)
	default:
		err = fmt.Errorf("%w: %w", ErrConnectionLost, reason)
	}
	c.lastErr = err
	if errors.Is(reason, reactor.ErrStopped) {
		c.shut(err) // the reactor is gone: nothing to reconnect on
		return
	}
	if h != nil && h.established {
		c.cfg.logger.Warn("memcache: connection lost", "addr", c.addr, "err", err, "failed", c.nsent)
	} else {
		c.cfg.logger.Debug("memcache: connect failed", "addr", c.addr, "err", err)
	}
	if c.cfg.reconnectMin <= 0 {
		c.shut(err)
		return
	}
	c.failSent(err)
	d := c.backoff
	c.backoff = min(2*c.backoff, max(c.cfg.reconnectMax, c.cfg.reconnectMin))
	c.retry = c.r.AddTimer(d, c.reconnect)
}

// reconnect is the backoff timer's callback.
func (c *Client) reconnect() {
	if c.closed || c.conn != nil {
		return
	}
	c.stats.Reconnects++
	if err := c.connect(); err != nil {
		c.lose(err)
	}
}

// ReceiveData parses the replies in data (after what was left of the last
// read) and hands each to the command at the head of the queue.
func (h *connHandler) ReceiveData(conn *reactor.Conn, data []byte) {
	c := h.c
	if c.conn != h {
		return
	}
	c.stats.Reads++
	buf := data
	if len(h.rbuf) > 0 {
		h.rbuf = append(h.rbuf, data...)
		buf = h.rbuf
	}
	off := 0
	for off < len(buf) {
		rep, n, err := ParseReply(buf[off:], c.cfg.maxItemSize)
		if err == ErrIncomplete {
			break
		}
		if err == nil {
			c.stats.Replies++
			err = c.dispatch(&rep)
		}
		if err != nil {
			c.lose(err)
			return
		}
		off += n
		if c.conn != h {
			return // a callback closed the Client
		}
	}
	if c.cmds.len() > 0 && !c.flushWait {
		c.flush() // replies made room in the pipeline for commands waiting
	}
	rest := buf[off:]
	switch {
	case len(rest) == 0 && cap(h.rbuf) > 64<<10:
		h.rbuf = nil // do not keep a large value's buffer
	case len(rest) == 0:
		h.rbuf = h.rbuf[:0]
	default:
		h.rbuf = append(h.rbuf[:0], rest...) // copy handles the overlap
	}
}
