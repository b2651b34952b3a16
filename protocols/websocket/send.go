package websocket

import (
	"math/rand/v2"
)

// scratchMax is the largest encoding buffer a Conn keeps between sends.
const scratchMax = 64 << 10

// Send sends a text message (em-websocket's send). It returns ErrClosed
// once the close handshake has started. Like every write on the reactor it
// never blocks: what the kernel does not take is queued (OutboundSize).
func (c *Conn) Send(msg string) error { return c.sendData(OpText, []byte(msg)) }

// SendText sends a text message held in a byte slice; msg must be UTF-8.
func (c *Conn) SendText(msg []byte) error { return c.sendData(OpText, msg) }

// SendBinary sends a binary message (em-websocket's send_binary).
func (c *Conn) SendBinary(msg []byte) error { return c.sendData(OpBinary, msg) }

// Ping sends a ping with payload (at most 125 bytes); the peer's pong
// reaches OnPong.
func (c *Conn) Ping(payload []byte) error {
	if len(payload) > 125 {
		return protoErr(CloseProtocolError, "ping payload longer than 125 bytes")
	}
	return c.sendControl(OpPing, payload)
}

// Pong sends an unsolicited pong (a heartbeat; pings are answered
// automatically).
func (c *Conn) Pong(payload []byte) error {
	if len(payload) > 125 {
		return protoErr(CloseProtocolError, "pong payload longer than 125 bytes")
	}
	return c.sendControl(OpPong, payload)
}

// Close starts the close handshake (em-websocket's close(code, reason)):
// it sends a close frame with code (1000 if 0; 1005 sends none) and the
// reason (cut to 123 bytes), stops delivering messages, and closes the
// connection when the peer answers, or after the close timeout. On a
// client whose handshake is under way it drops the connection instead,
// and no callback runs.
func (c *Conn) Close(code uint16, reason string) error {
	if c.sentClose || c.done || c.rc == nil || c.rc.Closed() {
		return ErrClosed
	}
	if !c.opened { // a client still in its handshake: abandon it, no callbacks
		if c.hs != nil {
			c.hs.reported = true
		}
		c.sentClose = true
		c.rc.Close()
		return nil
	}
	if code == 0 {
		code = CloseNormal
	}
	c.sentClose = true
	c.writeFrame(OpClose, 0, AppendClose(nil, code, reason))
	c.armCloseTimer()
	return nil
}

func (c *Conn) sendData(op Opcode, msg []byte) error {
	if !c.opened || c.sentClose || c.done || c.rc.Closed() {
		return ErrClosed
	}
	var rsv byte
	if c.pmd != nil && len(msg) >= c.cfg.compressMin() {
		msg = c.pmd.deflate(msg)
		rsv = 0x4
	}
	c.writeFrame(op, rsv, msg)
	return nil
}

func (c *Conn) sendControl(op Opcode, payload []byte) error {
	if !c.opened || c.sentClose || c.done || c.rc.Closed() {
		return ErrClosed
	}
	c.writeFrame(op, 0, payload)
	return nil
}

// writeFrame encodes one frame (masked on a client) and writes it.
func (c *Conn) writeFrame(op Opcode, rsv byte, payload []byte) {
	var key *[4]byte
	if c.role == RoleClient {
		key = newMaskKey()
	}
	c.wbuf = AppendFrame(c.wbuf[:0], true, op, rsv, key, payload)
	c.rc.Write(c.wbuf)
	if cap(c.wbuf) > scratchMax {
		c.wbuf = nil
	}
}

func (cfg *Config) compressMin() int {
	if cfg.CompressMin > 0 {
		return cfg.CompressMin
	}
	return 128
}

// SendFragmented sends one message (OpText or OpBinary) as one frame per
// part, in order: a message produced in pieces, or a test of a peer's
// reassembly. It is never compressed.
func (c *Conn) SendFragmented(op Opcode, parts ...[]byte) error {
	if op != OpText && op != OpBinary {
		return protoErr(CloseProtocolError, "SendFragmented of opcode %#x", byte(op))
	}
	if !c.opened || c.sentClose || c.done || c.rc.Closed() {
		return ErrClosed
	}
	if len(parts) == 0 {
		parts = [][]byte{nil}
	}
	var key *[4]byte
	for i, p := range parts {
		frameOp := op
		if i > 0 {
			frameOp = OpContinuation
		}
		if c.role == RoleClient {
			key = newMaskKey()
		}
		c.wbuf = AppendFrame(c.wbuf[:0], i == len(parts)-1, frameOp, 0, key, p)
		c.rc.Write(c.wbuf)
	}
	if cap(c.wbuf) > scratchMax {
		c.wbuf = nil
	}
	return nil
}

// newMaskKey returns a fresh masking key (math/rand/v2's ChaCha8-based
// generator: unpredictable to the page's script, as RFC 6455 10.3 asks).
func newMaskKey() *[4]byte {
	v := rand.Uint32()
	return &[4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}
