package line

import (
	"bytes"
	"fmt"
	"regexp"
)

// DefaultMaxLineLength is the longest line a Parser accepts unless told
// otherwise, not counting the delimiter (and the "\r" before a "\n").
const DefaultMaxLineLength = 64 << 10

// releaseAbove is the buffer capacity beyond which a Parser drops a buffer
// once a line or block is complete, so that one long line does not pin
// memory for the life of a connection.
const releaseAbove = 4 << 10

// Sink receives what a Parser finds. Its methods are called from Feed, in
// stream order. The slices are valid only during the call.
type Sink interface {
	// Line gets one line without its delimiter.
	Line(line []byte)
	// BinaryData gets a binary block (see SetBinaryMode): a sized block
	// whole in one call, or, for a streamed or unsized block, the next
	// piece as it arrives.
	BinaryData(data []byte)
	// EndOfBinaryData runs when the last byte of a sized binary block has
	// been handed to BinaryData. The Parser is already back in line mode,
	// so the callback may start another block.
	EndOfBinaryData()
	// LineError gets an error wrapping ErrLineTooLong when a line exceeds
	// the maximum length (the Parser then skips to the next delimiter), or
	// one wrapping ErrBinaryTooLong when a buffered block is announced
	// longer than the maximum (the Parser then skips the block).
	LineError(err error)
}

// Parser splits a byte stream into lines and binary blocks. Create it with
// NewParser; feed it with Feed. It is not safe for concurrent use, and Feed
// must not be called from one of its Sink's methods (SetLineMode with data
// is the way to hand bytes back); the Set methods may be, and take effect
// from the next byte.
type Parser struct {
	sink    Sink
	delim   []byte
	re      *regexp.Regexp // the delimiter when it is a regular expression
	reSlack int            // bytes of a possible match kept beyond the maximum line
	reWide  int            // the most bytes a match spans; -1 if unbounded
	stripCR bool
	max     int
	maxBin  int64
	stream  bool // blocks started from now on are streamed

	buf        []byte // the start of an unfinished line (or, while discarding, a possible delimiter prefix)
	discarding bool   // skipping the rest of a too-long line
	redo       bool   // buf was read with another delimiter: parse it again

	binary    bool
	binLeft   int64  // bytes left in the binary block; < 0 when unsized
	binStream bool   // this block goes out in pieces
	binSkip   bool   // this block is over the maximum: skipped
	binBuf    []byte // the part of a buffered block read so far

	feeding bool   // inside Feed: callbacks are running
	back    []byte // handed back by SetLineMode during a callback
	err     error  // to report once the current callback returns

	stopped bool
	cutting bool   // the Sink asked for the bytes after this line (cutAfter)
	cut     []byte // those bytes, set when the Feed stopped for them
}

// NewParser returns a Parser that reports to sink.
func NewParser(sink Sink, opts ...Option) *Parser {
	p := &Parser{}
	p.init(sink, opts)
	return p
}

func (p *Parser) init(sink Sink, opts []Option) {
	p.sink = sink
	p.delim, p.stripCR, p.max, p.maxBin = []byte{'\n'}, true, DefaultMaxLineLength, DefaultMaxBinaryLength
	for _, o := range opts {
		o(p)
	}
}

// SetDelimiter changes the delimiter from the next line on; an empty one is
// ignored. It replaces a regular-expression delimiter.
func (p *Parser) SetDelimiter(d string) {
	if d == "" {
		return
	}
	p.delim, p.re = []byte(d), nil
	p.stripCR = d == "\n"
	p.changedDelimiter()
}

// changedDelimiter makes an unfinished line, searched with the old
// delimiter, be searched again with the new one.
func (p *Parser) changedDelimiter() {
	if len(p.buf) > 0 && !p.discarding {
		p.redo = true
	}
}

// SetMaxLineLength changes the maximum line length (at least 1).
func (p *Parser) SetMaxLineLength(n int) { p.max = max(n, 1) }

// Stop makes the Parser drop the rest of the current Feed and everything
// fed later, e.g. once the connection is closed.
func (p *Parser) Stop() { p.stopped = true }

// Buffered returns the number of bytes held for an unfinished line or
// binary block.
func (p *Parser) Buffered() int {
	if p.discarding {
		return len(p.binBuf)
	}
	return len(p.buf) + len(p.binBuf)
}

// Feed parses data, calling the Sink for every complete line and every
// binary block or piece in it. An unfinished line (within the maximum
// length) or sized block (within the maximum binary length) is kept for the
// next Feed.
func (p *Parser) Feed(data []byte) {
	if p.feeding {
		panic("line: Parser.Feed called from its Sink; use SetLineMode(data) to hand bytes back")
	}
	p.feeding = true
	defer func() { p.feeding = false }()
	if (p.binary || p.redo) && len(p.buf) > 0 && !p.discarding && !p.stopped {
		pending := p.buf
		p.buf, p.redo = nil, false
		if p.feed(pending) {
			p.cut = joined(p.cut, data)
			return
		}
	}
	p.redo = false
	p.feed(data)
}

// feed parses data step by step; after each step (which may have run
// callbacks) it reports a pending error and parses bytes handed back. It
// returns true if it stopped for a cut (p.cut holds the bytes after it).
func (p *Parser) feed(data []byte) bool {
	for len(data) > 0 && !p.stopped {
		if p.binary {
			data = p.feedBinary(data)
		} else {
			data = p.feedLine(data)
		}
		if err := p.err; err != nil && !p.stopped {
			p.err = nil
			p.sink.LineError(err)
		}
		back := p.back
		p.back = nil
		if p.cutting {
			p.cutting, p.cut = false, joined(back, data)
			return true
		}
		if len(back) > 0 && p.feed(back) {
			p.cut = joined(p.cut, data)
			return true
		}
	}
	return false
}

// joined returns a followed by b, without copying when one is empty.
func joined(a, b []byte) []byte {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	return append(append([]byte(nil), a...), b...)
}

// cutAfter, called by the Sink during a Line, makes the current Feed stop
// after that line; takeCut then returns the bytes that followed it in the
// Feed (they may alias the Feed's data), for another protocol to read.
func (p *Parser) cutAfter() { p.cutting = true }

func (p *Parser) takeCut() []byte {
	rest := p.cut
	p.cutting, p.cut = false, nil
	return rest
}

// feedLine finds the next delimiter, delivers the line it ends and returns
// what follows it; without a delimiter it buffers data and returns nil.
func (p *Parser) feedLine(data []byte) []byte {
	if p.re != nil {
		return p.feedRegexp(data)
	}
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
	d := fmt.Sprintf("%q", p.delim)
	if p.re != nil {
		d = "/" + p.re.String() + "/"
	}
	p.sink.LineError(fmt.Errorf("%w: more than %d bytes before the delimiter %s", ErrLineTooLong, p.max, d))
}
