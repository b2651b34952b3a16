package reactor

import "errors"

// ErrOutboundLimit is the Unbind reason of a Conn whose outbound buffer
// grew past WithMaxOutbound: its peer reads more slowly than the program
// writes to it.
var ErrOutboundLimit = errors.New("reactor: outbound buffer past its limit (WithMaxOutbound): the peer does not read fast enough")

// OutboundLimiter is implemented by a Handler that decides itself what to
// do when its Conn's outbound buffer passes WithMaxOutbound (drop
// messages, Pause a producer, Close with its own reason): then the Conn is
// not closed for it. OutboundLimitExceeded runs on the reactor goroutine
// after each Write that leaves more than the limit queued, with the bytes
// queued.
type OutboundLimiter interface {
	OutboundLimitExceeded(c *Conn, queued int)
}

// WithMaxOutbound bounds a Conn's outbound buffer (OutboundSize): a Write
// that leaves more than n bytes queued closes the Conn with
// ErrOutboundLimit (queued output dropped), unless its Handler is an
// OutboundLimiter, which then decides. The Write itself is never refused:
// what it queued stays queued. 0 (the default) is no limit, as in
// EventMachine, where every server repeats this check by hand.
func WithMaxOutbound(n int) ConnOption { return func(c *connConfig) { c.maxOutbound = max(n, 0) } }

// overLimit runs after a Write left more than c.maxOut bytes queued.
func (c *Conn) overLimit() {
	if l, ok := c.h.(OutboundLimiter); ok {
		c.r.callConn(c, func(c *Conn) { l.OutboundLimitExceeded(c, c.OutboundSize()) })
		return
	}
	c.closeWith(ErrOutboundLimit)
}
