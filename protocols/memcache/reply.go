package memcache

import (
	"bytes"
	"errors"
	"fmt"
)

// ReplyKind says which reply of the text protocol a Reply is.
type ReplyKind uint8

// The replies of the text protocol.
const (
	ReplyValue       ReplyKind = iota + 1 // VALUE <key> <flags> <bytes> [<cas>], then the data block
	ReplyEnd                              // END: the last line of a get or gets
	ReplyStored                           // STORED
	ReplyNotStored                        // NOT_STORED
	ReplyExists                           // EXISTS (cas of an item changed since it was read)
	ReplyNotFound                         // NOT_FOUND
	ReplyDeleted                          // DELETED
	ReplyTouched                          // TOUCHED
	ReplyOK                               // OK (flush_all)
	ReplyNumber                           // a decimal number: the new value after incr or decr
	ReplyVersion                          // VERSION <text>
	ReplyError                            // ERROR [<text>]
	ReplyClientError                      // CLIENT_ERROR <text>
	ReplyServerError                      // SERVER_ERROR <text>
)

var replyNames = [...]string{
	ReplyValue: "VALUE", ReplyEnd: "END", ReplyStored: "STORED", ReplyNotStored: "NOT_STORED",
	ReplyExists: "EXISTS", ReplyNotFound: "NOT_FOUND", ReplyDeleted: "DELETED",
	ReplyTouched: "TOUCHED", ReplyOK: "OK", ReplyNumber: "number", ReplyVersion: "VERSION",
	ReplyError: "ERROR", ReplyClientError: "CLIENT_ERROR", ReplyServerError: "SERVER_ERROR",
}

func (k ReplyKind) String() string {
	if int(k) < len(replyNames) && replyNames[k] != "" {
		return replyNames[k]
	}
	return fmt.Sprintf("ReplyKind(%d)", k)
}

// Reply is one reply parsed by ParseReply. Its byte slices alias the input
// and are valid only as long as it is.
type Reply struct {
	Kind   ReplyKind
	Key    []byte // ReplyValue: the item's key
	Flags  uint32 // ReplyValue: the item's flags
	Bytes  []byte // ReplyValue: the item's value (without its "\r\n")
	CAS    uint64 // ReplyValue: the item's CAS unique, when HasCAS (a gets reply)
	HasCAS bool
	Number uint64 // ReplyNumber: the value after incr or decr
	Text   []byte // ReplyVersion: the version; the error replies: the message (may be empty)
}

// ErrIncomplete is ParseReply's "need more bytes": the input is the start
// of a reply that is not complete yet. It is not a protocol error.
var ErrIncomplete = errors.New("memcache: incomplete reply")

// MaxReplyLine is the longest reply line ParseReply accepts, "\r\n"
// included: a VALUE line with a 250-byte key and its four numbers is far
// shorter, so a longer line is an error rather than something to buffer.
const MaxReplyLine = 1024

// ParseReply parses the first reply in b. It returns the reply and the
// number of bytes it took; ErrIncomplete when b holds only part of a reply
// (call again with more); or an error wrapping ErrProtocol when b does not
// start with a valid reply. A VALUE line announcing more than maxValue
// bytes fails with ErrReplyTooLarge as soon as the line is complete,
// before any of its data is waited for. ParseReply allocates nothing on
// success; it is a pure function, safe for concurrent use.
func ParseReply(b []byte, maxValue int) (Reply, int, error) {
	window := b
	if len(window) > MaxReplyLine {
		window = window[:MaxReplyLine]
	}
	nl := bytes.IndexByte(window, '\n')
	if nl < 0 {
		if len(b) >= MaxReplyLine {
			return Reply{}, 0, fmt.Errorf("%w: reply line longer than %d bytes", ErrProtocol, MaxReplyLine)
		}
		return Reply{}, 0, ErrIncomplete
	}
	if nl == 0 || b[nl-1] != '\r' {
		return Reply{}, 0, fmt.Errorf("%w: line not ended by CRLF", ErrProtocol)
	}
	line, n := b[:nl-1], nl+1
	word, rest, hasRest := bytes.Cut(line, []byte{' '})
	var r Reply
	switch string(word) {
	case "VALUE":
		return parseValue(b, rest, n, maxValue)
	case "END":
		r.Kind = ReplyEnd
	case "STORED":
		r.Kind = ReplyStored
	case "NOT_STORED":
		r.Kind = ReplyNotStored
	case "EXISTS":
		r.Kind = ReplyExists
	case "NOT_FOUND":
		r.Kind = ReplyNotFound
	case "DELETED":
		r.Kind = ReplyDeleted
	case "TOUCHED":
		r.Kind = ReplyTouched
	case "OK":
		r.Kind = ReplyOK
	case "VERSION":
		r.Kind, r.Text = ReplyVersion, rest
		if !hasRest || len(rest) == 0 {
			return Reply{}, 0, fmt.Errorf("%w: VERSION without a version", ErrProtocol)
		}
		return r, n, nil
	case "ERROR":
		r.Kind, r.Text = ReplyError, rest
		return r, n, nil
	case "CLIENT_ERROR":
		r.Kind, r.Text = ReplyClientError, rest
		return r, n, nil
	case "SERVER_ERROR":
		r.Kind, r.Text = ReplyServerError, rest
		return r, n, nil
	default:
		// incr and decr answer the new value; old servers pad it with spaces.
		num, ok := parseUint(bytes.TrimRight(line, " "), 1<<64-1)
		if !ok {
			return Reply{}, 0, fmt.Errorf("%w: unknown reply %q", ErrProtocol, clip(line))
		}
		return Reply{Kind: ReplyNumber, Number: num}, n, nil
	}
	if hasRest {
		return Reply{}, 0, fmt.Errorf("%w: unexpected text after %s", ErrProtocol, r.Kind)
	}
	return r, n, nil
}

// parseValue parses the fields of a VALUE line (rest, the line after
// "VALUE ") and its data block, which starts at b[n:].
func parseValue(b, rest []byte, n, maxValue int) (Reply, int, error) {
	var f [5][]byte
	nf := 0
	for len(rest) > 0 && nf < len(f) {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte{' '})
		f[nf] = field
		nf++
	}
	if len(rest) > 0 || nf < 3 || nf > 4 {
		return Reply{}, 0, fmt.Errorf("%w: VALUE line needs key, flags, bytes and an optional cas", ErrProtocol)
	}
	r := Reply{Kind: ReplyValue, Key: f[0]}
	if !validKey(f[0]) {
		return Reply{}, 0, fmt.Errorf("%w: VALUE with an invalid key", ErrProtocol)
	}
	flags, ok := parseUint(f[1], 1<<32-1)
	if !ok {
		return Reply{}, 0, fmt.Errorf("%w: VALUE with invalid flags", ErrProtocol)
	}
	r.Flags = uint32(flags)
	size, ok := parseUint(f[2], 1<<62)
	if !ok {
		return Reply{}, 0, fmt.Errorf("%w: VALUE with an invalid size", ErrProtocol)
	}
	if size > uint64(max(maxValue, 0)) {
		return Reply{}, 0, fmt.Errorf("%w (%d > %d)", ErrReplyTooLarge, size, maxValue)
	}
	if nf == 4 {
		if r.CAS, ok = parseUint(f[3], 1<<64-1); !ok {
			return Reply{}, 0, fmt.Errorf("%w: VALUE with an invalid cas", ErrProtocol)
		}
		r.HasCAS = true
	}
	end := n + int(size)
	if len(b) < end+2 {
		return Reply{}, 0, ErrIncomplete
	}
	if b[end] != '\r' || b[end+1] != '\n' {
		return Reply{}, 0, fmt.Errorf("%w: data block not followed by CRLF", ErrProtocol)
	}
	r.Bytes = b[n:end:end]
	return r, end + 2, nil
}

// parseUint parses a non-empty string of decimal digits no greater than
// limit.
func parseUint(b []byte, limit uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// clip shortens text quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
