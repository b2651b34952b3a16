package websocket

import "unicode/utf8"

// utf8Prefix checks b as the start of a UTF-8 text whose end may still be
// to come: it returns how many bytes of b are whole valid sequences and
// whether the rest (at most three bytes) can still begin a valid sequence.
// A text fails as soon as its first impossible byte arrives (Autobahn's
// "fail fast" in section 6), not only at the end of the message.
func utf8Prefix(b []byte) (n int, ok bool) {
	for n < len(b) {
		c := b[n]
		if c < utf8.RuneSelf {
			n++
			continue
		}
		r, size := utf8.DecodeRune(b[n:])
		if r != utf8.RuneError || size > 1 {
			n += size
			continue
		}
		// RuneError of size 1: invalid, or a sequence cut off at the end.
		return n, utf8Incomplete(b[n:])
	}
	return n, true
}

// utf8Incomplete reports whether b (shorter than the sequence its first
// byte announces) is the valid start of a sequence (RFC 3629's table).
func utf8Incomplete(b []byte) bool {
	want := 0
	lo, hi := byte(0x80), byte(0xBF) // range of the second byte
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		want = 2
	case c == 0xE0:
		want, lo = 3, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		want = 3
	case c == 0xED:
		want, hi = 3, 0x9F
	case c == 0xF0:
		want, lo = 4, 0x90
	case c >= 0xF1 && c <= 0xF3:
		want = 4
	case c == 0xF4:
		want, hi = 4, 0x8F
	default:
		return false
	}
	if len(b) >= want {
		return false // whole, yet DecodeRune refused it
	}
	for i := 1; i < len(b); i++ {
		if i == 1 && (b[i] < lo || b[i] > hi) || i > 1 && (b[i] < 0x80 || b[i] > 0xBF) {
			return false
		}
	}
	return true
}
