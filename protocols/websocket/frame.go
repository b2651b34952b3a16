package websocket

import "encoding/binary"

// Opcode is the kind of a frame (RFC 6455 5.2).
type Opcode byte

// The opcodes of RFC 6455; the others are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

func (op Opcode) known() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return true
	}
	return false
}

// Header is a parsed frame header.
type Header struct {
	Fin    bool
	Rsv    byte // the RSV1..RSV3 bits as 0x4, 0x2, 0x1
	Op     Opcode
	Masked bool
	Mask   [4]byte
	Length int64
}

// MaxHeaderLen is the longest a frame header can be: 2 bytes, an 8-byte
// length and a 4-byte mask key.
const MaxHeaderLen = 14

// ParseHeader parses the frame header at the start of b. It returns the
// header and its length, or n == 0 when b does not hold the whole header
// yet. The only error is a length with its most significant bit set
// (1002); the rules that depend on the role and state are the Reader's.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7
	h.Op = Opcode(b[0] & 0xF)
	h.Masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v>>63 != 0 {
			return h, 0, protoErr(CloseProtocolError, "frame length with its most significant bit set")
		}
		h.Length = int64(v)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, nil
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}

// AppendHeader appends the header of a frame to dst. The length is
// written in the shortest form, as RFC 6455 requires.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Op&0xF) | (h.Rsv&0x7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	switch {
	case h.Length < 126:
		dst = append(dst, b0, m|byte(h.Length))
	case h.Length <= 0xFFFF:
		dst = append(dst, b0, m|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Length))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// AppendFrame appends a whole frame to dst: header and payload, masked
// with mask when it is not nil (a client's frames; a server's are
// unmasked).
func AppendFrame(dst []byte, fin bool, op Opcode, rsv byte, mask *[4]byte, payload []byte) []byte {
	h := Header{Fin: fin, Op: op, Rsv: rsv, Length: int64(len(payload))}
	if mask != nil {
		h.Masked, h.Mask = true, *mask
	}
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if mask != nil {
		MaskBytes(*mask, 0, dst[start:])
	}
	return dst
}

// MaskBytes XORs b in place with the mask key, starting at position pos of
// the key's cycle, and returns the position after b (for a payload masked
// in pieces).
func MaskBytes(key [4]byte, pos int, b []byte) int {
	pos &= 3
	// Bring pos to 0 byte by byte, then XOR eight bytes at a time.
	for pos != 0 && len(b) > 0 {
		b[0] ^= key[pos]
		b = b[1:]
		pos = (pos + 1) & 3
	}
	if len(b) == 0 {
		return pos
	}
	k32 := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k32) | uint64(k32)<<32
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
	return len(b) & 3
}
