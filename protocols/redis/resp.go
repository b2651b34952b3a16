package redis

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Kind is the type of a RESP value: the byte that starts it on the wire.
type Kind byte

// The RESP2 and RESP3 types. RESP2's null bulk string ($-1) and null array
// (*-1) are parsed as KindNull, as RESP3's null (_).
const (
	KindSimple    Kind = '+'
	KindError     Kind = '-'
	KindInt       Kind = ':'
	KindBulk      Kind = '$'
	KindArray     Kind = '*'
	KindNull      Kind = '_'
	KindDouble    Kind = ','
	KindBool      Kind = '#'
	KindBlobError Kind = '!'
	KindVerbatim  Kind = '='
	KindBigNumber Kind = '('
	KindMap       Kind = '%'
	KindSet       Kind = '~'
	KindAttribute Kind = '|'
	KindPush      Kind = '>'
)

// Value is one parsed RESP value.
//
// Str holds simple strings, bulk strings, errors (both kinds), big numbers
// (in decimal) and verbatim strings (without their three-letter format and
// colon). Int holds integers and booleans (1 or 0). Float holds doubles.
// Elems holds the elements of arrays, sets and pushes, and the keys and
// values of maps, alternating (key, value, key, value). Attrs holds the
// RESP3 attribute map that preceded the value, if any, in the same
// alternating form.
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Float float64
	Elems []Value
	Attrs []Value
}

// IsNull reports whether v is a null (RESP3 _, RESP2 $-1 or *-1).
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Limits bound what the parser accepts, so that a hostile or broken server
// cannot make the client allocate without bound. A length announced beyond
// a limit is refused when its header is read, before anything is
// allocated or buffered for it.
type Limits struct {
	MaxBulk      int64 // longest bulk, blob error or verbatim string (bytes)
	MaxLine      int   // longest simple string, error, number or header line (bytes)
	MaxAggregate int64 // most elements in one array, set or push (a map counts its pairs)
	MaxDepth     int   // deepest nesting of aggregates
}

// DefaultLimits are the limits a Client uses unless told otherwise.
var DefaultLimits = Limits{
	MaxBulk:      64 << 20,
	MaxLine:      1 << 20,
	MaxAggregate: 1 << 24,
	MaxDepth:     32,
}

// Parse errors. ErrIncomplete is not a failure: the value is not all in
// the buffer yet.
var (
	ErrIncomplete = errors.New("redis: incomplete reply")
	ErrProtocol   = errors.New("redis: protocol error")
	ErrTooLarge   = errors.New("redis: reply exceeds a limit")
)

// Parse reads one RESP2/RESP3 value from the start of b. It returns the
// value and the number of bytes it took. When b holds only the start of a
// value, it returns ErrIncomplete and, as n, the least length b must reach
// before another attempt can succeed (len(b)+1 when that is all it knows).
// A malformed value is an error wrapping ErrProtocol, and a length beyond
// lim an error wrapping ErrTooLarge; both are final for the stream.
//
// Parse is a pure function: it keeps no state and does no I/O. The strings
// of the value are copies, so b may be reused once Parse returns.
func Parse(b []byte, lim Limits) (v Value, n int, err error) {
	p := parser{b: b, lim: lim}
	v, err = p.value(0)
	if err != nil {
		if err == ErrIncomplete {
			return Value{}, max(p.need, len(b)+1), err
		}
		return Value{}, 0, err
	}
	return v, p.pos, nil
}

type parser struct {
	b    []byte
	pos  int
	need int // for ErrIncomplete: the least total length known to be needed
	lim  Limits
}

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}

// line returns the bytes up to the next CRLF after pos and moves past it.
func (p *parser) line() ([]byte, error) {
	rest := p.b[p.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		if len(rest) > p.lim.MaxLine+1 {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, p.lim.MaxLine)
		}
		return nil, ErrIncomplete
	}
	if i > p.lim.MaxLine+1 {
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, p.lim.MaxLine)
	}
	if i == 0 || rest[i-1] != '\r' {
		return nil, protoErr("line not ended by CRLF")
	}
	p.pos += i + 1
	return rest[:i-1], nil
}

// length parses an aggregate or bulk header: a decimal number, or -1 for a
// RESP2 null. Streamed ("?") lengths are refused: servers do not send them.
func parseLength(s []byte) (int64, error) {
	if len(s) == 0 || len(s) > 20 {
		return 0, protoErr("bad length %q", s)
	}
	if s[0] == '?' {
		return 0, protoErr("streamed types are not supported")
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || n < -1 {
		return 0, protoErr("bad length %q", s)
	}
	return n, nil
}

func (p *parser) value(depth int) (Value, error) {
	if p.pos >= len(p.b) {
		return Value{}, ErrIncomplete
	}
	kind := Kind(p.b[p.pos])
	p.pos++
	line, err := p.line()
	if err != nil {
		return Value{}, err
	}
	switch kind {
	case KindSimple, KindError:
		return Value{Kind: kind, Str: string(line)}, nil
	case KindBigNumber:
		if !validBigNumber(line) {
			return Value{}, protoErr("bad big number %q", line)
		}
		return Value{Kind: kind, Str: string(line)}, nil
	case KindInt:
		n, err := strconv.ParseInt(string(line), 10, 64)
		if err != nil {
			return Value{}, protoErr("bad integer %q", line)
		}
		return Value{Kind: kind, Int: n}, nil
	case KindNull:
		if len(line) != 0 {
			return Value{}, protoErr("bad null %q", line)
		}
		return Value{Kind: KindNull}, nil
	case KindBool:
		switch string(line) {
		case "t":
			return Value{Kind: kind, Int: 1}, nil
		case "f":
			return Value{Kind: kind, Int: 0}, nil
		}
		return Value{}, protoErr("bad boolean %q", line)
	case KindDouble:
		f, err := strconv.ParseFloat(string(line), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, protoErr("bad double %q", line)
		}
		return Value{Kind: kind, Float: f}, nil
	case KindBulk, KindBlobError, KindVerbatim:
		return p.blob(kind, line)
	case KindArray, KindSet, KindPush, KindMap, KindAttribute:
		return p.aggregate(kind, line, depth)
	}
	return Value{}, protoErr("unknown type byte %q", byte(kind))
}

func validBigNumber(s []byte) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (p *parser) blob(kind Kind, header []byte) (Value, error) {
	n, err := parseLength(header)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		if kind != KindBulk {
			return Value{}, protoErr("null %q", byte(kind))
		}
		return Value{Kind: KindNull}, nil
	}
	if n > p.lim.MaxBulk {
		return Value{}, fmt.Errorf("%w: bulk of %d bytes (limit %d)", ErrTooLarge, n, p.lim.MaxBulk)
	}
	end := p.pos + int(n)
	if end+2 > len(p.b) {
		p.need = end + 2
		return Value{}, ErrIncomplete
	}
	if p.b[end] != '\r' || p.b[end+1] != '\n' {
		return Value{}, protoErr("bulk not ended by CRLF")
	}
	data := p.b[p.pos:end]
	p.pos = end + 2
	if kind == KindVerbatim {
		if len(data) < 4 || data[3] != ':' {
			return Value{}, protoErr("verbatim string without a format")
		}
		data = data[4:]
	}
	return Value{Kind: kind, Str: string(data)}, nil
}

func (p *parser) aggregate(kind Kind, header []byte, depth int) (Value, error) {
	n, err := parseLength(header)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		if kind != KindArray {
			return Value{}, protoErr("null %q", byte(kind))
		}
		return Value{Kind: KindNull}, nil
	}
	if depth >= p.lim.MaxDepth {
		return Value{}, fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, p.lim.MaxDepth)
	}
	if n > p.lim.MaxAggregate {
		return Value{}, fmt.Errorf("%w: aggregate of %d elements (limit %d)", ErrTooLarge, n, p.lim.MaxAggregate)
	}
	count := n
	if kind == KindMap || kind == KindAttribute {
		count *= 2
	}
	// Every element takes at least 3 bytes ("_\r\n"): never allocate
	// beyond what the buffer could hold.
	if count > int64(len(p.b)-p.pos)/3+1 {
		p.need = p.pos + int(count)*3
		return Value{}, ErrIncomplete
	}
	elems := make([]Value, 0, count)
	for range count {
		e, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		elems = append(elems, e)
	}
	if kind != KindAttribute {
		return Value{Kind: kind, Elems: elems}, nil
	}
	// An attribute map comes before the value it describes.
	v, err := p.value(depth)
	if err != nil {
		return Value{}, err
	}
	v.Attrs = elems
	return v, nil
}
