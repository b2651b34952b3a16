package websocket

import (
	"encoding/binary"
	"unicode/utf8"
)

// Role says which end of a connection a Reader parses for: a server reads
// masked client frames, a client reads unmasked server frames.
type Role uint8

const (
	RoleServer Role = iota
	RoleClient
)

// Default limits of a Reader (and of Conns whose options leave them zero).
const (
	DefaultMaxFrame   = 16 << 20
	DefaultMaxMessage = 32 << 20
)

// keepMessageBuffer is the largest reassembly buffer a Reader keeps
// between messages.
const keepMessageBuffer = 64 << 10

// Event is what a Reader delivers: a whole data message (OpText, OpBinary)
// or a control frame (OpClose, OpPing, OpPong). Payload is valid until the
// next call of Next; Compressed marks a message sent with RSV1 under
// permessage-deflate, still compressed.
type Event struct {
	Op         Opcode
	Payload    []byte
	Compressed bool
}

// Reader is the pure, incremental WebSocket frame parser (RFC 6455 5),
// with no I/O: feed it bytes as they arrive, get messages and control
// frames out. It enforces the rules of the role (masking), reserved bits
// and opcodes, fragmentation, control frame limits, UTF-8 of text
// messages (failing fast, also across fragments), close payloads and the
// size limits; every violation is a *ProtocolError carrying the close code
// to fail the connection with. A Reader is not safe for concurrent use.
type Reader struct {
	Role       Role
	MaxFrame   int64 // longest frame payload; 0 means DefaultMaxFrame
	MaxMessage int64 // longest message (sum of its fragments); 0 means DefaultMaxMessage
	AllowRSV1  bool  // permessage-deflate was negotiated: RSV1 marks a compressed message

	hbuf    [MaxHeaderLen]byte // a header split across reads
	hlen    int
	inFrame bool // hdr is parsed; remain bytes of its payload are to come
	hdr     Header
	remain  int64
	maskPos int

	msgOp   Opcode // OpText or OpBinary while a message is open, else 0
	msgComp bool
	msg     []byte
	checked int // bytes of msg validated as UTF-8
	ctl     []byte
	failed  error
}

// Next parses data, unmasking it in place, until one event is complete or
// data is used up. It returns how much of data it consumed, and the event
// if ok. After an error the Reader stays failed.
func (r *Reader) Next(data []byte) (n int, ev Event, ok bool, err error) {
	if r.failed != nil {
		return 0, ev, false, r.failed
	}
	n, ev, ok, err = r.next(data)
	if err != nil {
		r.failed = err
		r.msg, r.ctl = nil, nil
	}
	return n, ev, ok, err
}

func (r *Reader) next(data []byte) (n int, ev Event, ok bool, err error) {
	for n < len(data) || (r.inFrame && r.remain == 0) {
		if !r.inFrame {
			m, err := r.header(data[n:])
			n += m
			if err != nil || !r.inFrame {
				return n, ev, false, err
			}
			// Fast path: a whole unfragmented message inside data is
			// delivered in place, without a copy.
			if r.hdr.Fin && !r.hdr.Op.IsControl() && r.msgOp == 0 && int64(len(data)-n) >= r.remain {
				p := data[n : n+int(r.remain)]
				n += len(p)
				r.inFrame = false
				ev, ok, err = r.whole(p)
				return n, ev, ok, err
			}
		}
		take := min(int64(len(data)-n), r.remain)
		p := data[n : n+int(take)]
		n += int(take)
		r.remain -= take
		if r.hdr.Masked {
			r.maskPos = MaskBytes(r.hdr.Mask, r.maskPos, p)
		}
		if r.hdr.Op.IsControl() {
			r.ctl = append(r.ctl, p...)
		} else {
			r.msg = append(r.msg, p...)
			if err := r.checkText(false); err != nil {
				return n, ev, false, err
			}
		}
		if r.remain > 0 {
			continue
		}
		r.inFrame = false
		if ev, ok, err = r.endFrame(); ok || err != nil {
			return n, ev, ok, err
		}
	}
	return n, ev, false, nil
}

// whole finishes a single-frame message held entirely in p.
func (r *Reader) whole(p []byte) (Event, bool, error) {
	if r.hdr.Masked {
		MaskBytes(r.hdr.Mask, 0, p)
	}
	comp := r.hdr.Rsv&0x4 != 0
	if r.hdr.Op == OpText && !comp && !utf8.Valid(p) {
		return Event{}, false, protoErr(CloseInvalidPayload, "text message is not valid UTF-8")
	}
	return Event{Op: r.hdr.Op, Payload: p, Compressed: comp}, true, nil
}

// header parses the next frame header from data (joined to what an
// earlier read left) and checks it; it returns the bytes of data used.
func (r *Reader) header(data []byte) (int, error) {
	prev := r.hlen
	m := copy(r.hbuf[prev:], data)
	h, hn, err := ParseHeader(r.hbuf[:prev+m])
	if err != nil {
		return 0, err
	}
	if hn == 0 {
		r.hlen += m
		return m, nil
	}
	r.hlen = 0
	if err := r.check(h); err != nil {
		return hn - prev, err
	}
	r.hdr, r.inFrame, r.remain, r.maskPos = h, true, h.Length, 0
	if h.Op.IsControl() {
		r.ctl = r.ctl[:0]
	} else if h.Op != OpContinuation {
		r.msgOp, r.msgComp, r.checked = h.Op, h.Rsv&0x4 != 0, 0
		if cap(r.msg) > keepMessageBuffer {
			r.msg = nil // an idle connection does not keep a large message's buffer
		}
		r.msg = r.msg[:0]
	}
	return hn - prev, nil
}

// check applies the rules of RFC 6455 5.1-5.5 (and RFC 7692 6) to a header.
func (r *Reader) check(h Header) error {
	switch {
	case r.Role == RoleServer && !h.Masked:
		return protoErr(CloseProtocolError, "unmasked frame from a client")
	case r.Role == RoleClient && h.Masked:
		return protoErr(CloseProtocolError, "masked frame from a server")
	case !h.Op.known():
		return protoErr(CloseProtocolError, "reserved opcode %#x", byte(h.Op))
	case h.Rsv&0x3 != 0, h.Rsv&0x4 != 0 && (!r.AllowRSV1 || h.Op.IsControl() || h.Op == OpContinuation):
		return protoErr(CloseProtocolError, "reserved bits %#x set", h.Rsv)
	}
	if h.Op.IsControl() {
		if !h.Fin {
			return protoErr(CloseProtocolError, "fragmented control frame")
		}
		if h.Length > 125 {
			return protoErr(CloseProtocolError, "control frame longer than 125 bytes")
		}
		return nil
	}
	switch {
	case h.Op == OpContinuation && r.msgOp == 0:
		return protoErr(CloseProtocolError, "continuation frame outside a message")
	case h.Op != OpContinuation && r.msgOp != 0:
		return protoErr(CloseProtocolError, "new message inside a fragmented message")
	case h.Length > r.maxFrame():
		return protoErr(CloseTooBig, "frame of %d bytes exceeds the limit of %d", h.Length, r.maxFrame())
	}
	size := h.Length
	if h.Op == OpContinuation {
		size += int64(len(r.msg))
	}
	if size > r.maxMessage() {
		return protoErr(CloseTooBig, "message exceeds the limit of %d bytes", r.maxMessage())
	}
	return nil
}

func (r *Reader) maxFrame() int64   { return pick(r.MaxFrame, DefaultMaxFrame) }
func (r *Reader) maxMessage() int64 { return pick(r.MaxMessage, DefaultMaxMessage) }

func pick(v, def int64) int64 {
	if v <= 0 {
		return def
	}
	return v
}

// checkText validates the text message received so far, failing at the
// first byte that cannot belong to valid UTF-8; final requires it whole.
func (r *Reader) checkText(final bool) error {
	if r.msgOp != OpText || r.msgComp {
		return nil
	}
	n, ok := utf8Prefix(r.msg[r.checked:])
	r.checked += n
	if !ok || final && r.checked != len(r.msg) {
		return protoErr(CloseInvalidPayload, "text message is not valid UTF-8")
	}
	return nil
}

// endFrame acts on a frame whose payload is complete.
func (r *Reader) endFrame() (Event, bool, error) {
	if r.hdr.Op.IsControl() {
		if r.hdr.Op == OpClose {
			if err := checkClose(r.ctl); err != nil {
				return Event{}, false, err
			}
		}
		return Event{Op: r.hdr.Op, Payload: r.ctl}, true, nil
	}
	if !r.hdr.Fin {
		return Event{}, false, nil
	}
	if err := r.checkText(true); err != nil {
		return Event{}, false, err
	}
	ev := Event{Op: r.msgOp, Payload: r.msg, Compressed: r.msgComp}
	r.msgOp = 0
	return ev, true, nil
}

// checkClose validates a close frame's payload: empty, or a valid code
// and a UTF-8 reason.
func checkClose(p []byte) error {
	switch {
	case len(p) == 0:
		return nil
	case len(p) == 1:
		return protoErr(CloseProtocolError, "close frame with a 1-byte payload")
	}
	if code := binary.BigEndian.Uint16(p); !ValidCloseCode(code) {
		return protoErr(CloseProtocolError, "invalid close code %d", code)
	}
	if !utf8.Valid(p[2:]) {
		return protoErr(CloseInvalidPayload, "close reason is not valid UTF-8")
	}
	return nil
}

// ParseClose splits a validated close payload into its code and reason;
// an empty payload gives 1005 (no status).
func ParseClose(p []byte) (code uint16, reason string) {
	if len(p) < 2 {
		return CloseNoStatus, ""
	}
	return binary.BigEndian.Uint16(p), string(p[2:])
}

// AppendClose appends a close payload: the code and the reason, cut to
// fit a control frame (123 bytes) at a UTF-8 boundary.
func AppendClose(dst []byte, code uint16, reason string) []byte {
	if code == 0 || code == CloseNoStatus {
		return dst
	}
	if len(reason) > 123 {
		reason = reason[:123]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, reason...)
}
