package line

import (
	"bytes"
	"fmt"
)

// DefaultMaxLineLength is the longest line a Parser accepts unless told
// otherwise, not counting the delimiter (and the "\r" before a "\n").
const DefaultMaxLineLength = 64 << 10

// Unbounded, given to SetBinaryMode, keeps the Parser in binary mode until
// SetLineMode.
const Unbounded = -1

// releaseAbove is the buffer capacity beyond which a Parser drops its line
// buffer once a line is complete, so that one long line does not pin memory
// for the life of a connection.
const releaseAbove = 4 << 10

// Sink receives what a Parser finds. Its methods are called from Feed, in
// stream order. The slices are valid only during the call.
type Sink interface {
	// Line gets one line without its delimiter.
	Line(line []byte)
	// BinaryData gets the next piece of a binary block (see SetBinaryMode).
	BinaryData(data []byte)
	// EndOfBinaryData runs when the last byte of a sized binary block has
	// been handed to BinaryData. The Parser is already back in line mode,
	// so the callback may start another block.
	EndOfBinaryData()
	// LineError gets an error wrapping ErrLineTooLong when a line exceeds
	// the maximum length. The Parser then skips to the next delimiter.
	LineError(err error)
}

// Option configures a Parser or a Handler.
type Option func(*Parser)

// WithDelimiter sets the line delimiter (default "\n"). With "\n" a "\r"
// before the delimiter is stripped too; other delimiters are removed
// exactly. An empty delimiter is ignored.
func WithDelimiter(d string) Option { return func(p *Parser) { p.SetDelimiter(d) } }

// WithMaxLineLength sets the longest line accepted (default
// DefaultMaxLineLength). Values below 1 are raised to 1.
func WithMaxLineLength(n int) Option { return func(p *Parser) { p.SetMaxLineLength(n) } }

// Parser splits a byte stream into lines and binary blocks. Create it with
// NewParser; feed it with Feed. It is not safe for concurrent use, and Feed
// must not be called from one of its Sink's methods; the Set methods may
// be, and take effect from the next byte.
type Parser struct {
	sink    Sink
	delim   []byte
	stripCR bool
	max     int

	buf        []byte // the start of an unfinished line (or, while discarding, a possible delimiter prefix)
	discarding bool   // skipping the rest of a too-long line
	binary     bool
	binLeft    int64 // bytes left in the binary block; < 0 when unbounded
	stopped    bool
	cutting    bool   // the Sink asked for the bytes after this line (cutAfter)
	cut        []byte // those bytes, set when the Feed stopped for them
}

// NewParser returns a Parser that reports to sink.
func NewParser(sink Sink, opts ...Option) *Parser {
	p := &Parser{}
	p.init(sink, opts)
	return p
}

func (p *Parser) init(sink Sink, opts []Option) {
	p.sink = sink
	p.delim, p.stripCR, p.max = []byte{'\n'}, true, DefaultMaxLineLength
	for _, o := range opts {
		o(p)
	}
}

// SetDelimiter changes the delimiter from the next line on; an empty one is
// ignored.
func (p *Parser) SetDelimiter(d string) {
	if d == "" {
		return
	}
	p.delim = []byte(d)
	p.stripCR = d == "\n"
}

// SetMaxLineLength changes the maximum line length (at least 1).
func (p *Parser) SetMaxLineLength(n int) { p.max = max(n, 1) }

// SetBinaryMode hands the next n bytes of the stream to BinaryData, then
// calls EndOfBinaryData and returns to line mode. n == Unbounded (or any
// n < 0) stays in binary mode until SetLineMode; n == 0 does nothing. Bytes
// of an unfinished line already buffered belong to the block and are
// delivered at the next Feed.
func (p *Parser) SetBinaryMode(n int64) {
	if n == 0 {
		return
	}
	if p.discarding { // what was buffered is a delimiter prefix, not data
		p.discarding, p.buf = false, p.buf[:0]
	}
	p.binary, p.binLeft = true, max(n, -1)
}

// SetLineMode returns to line mode (from an unbounded or unfinished binary
// block).
func (p *Parser) SetLineMode() { p.binary = false }

// BinaryMode reports whether the Parser is in binary mode.
func (p *Parser) BinaryMode() bool { return p.binary }

// Stop makes the Parser drop the rest of the current Feed and everything
// fed later, e.g. once the connection is closed.
func (p *Parser) Stop() { p.stopped = true }

// Buffered returns the number of bytes held for an unfinished line.
func (p *Parser) Buffered() int {
	if p.discarding {
		return 0
	}
	return len(p.buf)
}

// Feed parses data, calling the Sink for every complete line and every
// piece of binary data in it. An unfinished line is kept (within the
// maximum length) for the next Feed.
func (p *Parser) Feed(data []byte) {
	if p.binary && len(p.buf) > 0 && !p.stopped {
		pending := p.buf
		p.buf = nil
		p.feed(pending)
	}
	p.feed(data)
}

func (p *Parser) feed(data []byte) {
	for len(data) > 0 && !p.stopped {
		if p.binary {
			data = p.feedBinary(data)
		} else {
			data = p.feedLine(data)
		}
		if p.cutting {
			p.cutting, p.cut = false, data
			return
		}
	}
}

// cutAfter, called by the Sink during a Line, makes the current Feed stop
// after that line; takeCut then returns the bytes that followed it in the
// Feed (they alias the Feed's data), for another protocol to read.
func (p *Parser) cutAfter() { p.cutting = true }

func (p *Parser) takeCut() []byte {
	rest := p.cut
	p.cutting, p.cut = false, nil
	return rest
}

// feedBinary hands the block's share of data to the Sink and returns the
// rest.
func (p *Parser) feedBinary(data []byte) []byte {
	n := len(data)
	if p.binLeft >= 0 && int64(n) > p.binLeft {
		n = int(p.binLeft)
	}
	end := false
	if p.binLeft >= 0 {
		p.binLeft -= int64(n)
		if p.binLeft == 0 {
			p.binary, end = false, true // line mode first, so the callbacks can chain blocks
		}
	}
	p.sink.BinaryData(data[:n])
	if end && !p.stopped {
		p.sink.EndOfBinaryData()
	}
	return data[n:]
}

// feedLine finds the next delimiter, delivers the line it ends and returns
// what follows it; without a delimiter it buffers data and returns nil.
func (p *Parser) feedLine(data []byte) []byte {
	d := p.delim
	if k := p.straddle(data); k > 0 { // the delimiter began in buf
		rest := data[len(d)-k:]
		if p.discarding {
			p.discarding, p.buf = false, p.buf[:0]
			return rest
		}
		p.deliver(p.buf[:len(p.buf)-k])
		return rest
	}
	i := bytes.Index(data, d)
	if i < 0 {
		p.hold(data)
		return nil
	}
	rest := data[i+len(d):]
	switch {
	case p.discarding:
		p.discarding, p.buf = false, p.buf[:0]
	case len(p.buf) == 0:
		p.deliver(data[:i]) // whole in this read: no copy
	case len(p.buf)+i > p.max+1:
		p.buf = p.buf[:0]
		p.tooLong()
	default:
		p.buf = append(p.buf, data[:i]...)
		p.deliver(p.buf)
	}
	return rest
}

// straddle reports how many bytes of a delimiter that starts in buf and ends
// in data are in buf (0 if none), preferring the earliest start.
func (p *Parser) straddle(data []byte) int {
	d := p.delim
	for k := min(len(d)-1, len(p.buf)); k >= 1; k-- {
		if bytes.HasSuffix(p.buf, d[:k]) && bytes.HasPrefix(data, d[k:]) {
			return k
		}
	}
	return 0
}

// hold buffers data that has no delimiter yet, up to what a line of the
// maximum length could still need; past that the line is too long.
func (p *Parser) hold(data []byte) {
	keep := len(p.delim) - 1 // a delimiter may be starting at the end
	if p.discarding {
		p.buf = appendTail(p.buf, data, keep)
		return
	}
	limit := p.max + keep
	if p.stripCR {
		limit++
	}
	if len(p.buf)+len(data) <= limit {
		p.buf = append(p.buf, data...)
		return
	}
	p.discarding = true
	p.buf = appendTail(p.buf, data, keep)
	if cap(p.buf) > releaseAbove {
		p.buf = append([]byte(nil), p.buf...)
	}
	p.tooLong()
}

// appendTail returns buf holding the last keep bytes of buf followed by
// data.
func appendTail(buf, data []byte, keep int) []byte {
	if len(data) >= keep {
		return append(buf[:0], data[len(data)-keep:]...)
	}
	buf = append(buf, data...)
	return append(buf[:0], buf[max(len(buf)-keep, 0):]...)
}

// deliver strips the "\r" of a "\r\n" line, checks the length and hands the
// line to the Sink. line may alias buf, which is emptied first so that the
// callback may change modes freely.
func (p *Parser) deliver(line []byte) {
	if p.stripCR && len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if cap(p.buf) > releaseAbove {
		p.buf = nil
	} else {
		p.buf = p.buf[:0]
	}
	if len(line) > p.max {
		p.tooLong()
		return
	}
	p.sink.Line(line)
}

func (p *Parser) tooLong() {
	p.sink.LineError(fmt.Errorf("%w: more than %d bytes before the delimiter %q", ErrLineTooLong, p.max, p.delim))
}
