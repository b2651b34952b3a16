package line

import "fmt"

// DefaultMaxBinaryLength is the longest sized block a Parser collects into
// one BinaryData call unless told otherwise: 32 MiB, LineText2's
// MaxBinaryLength. Memory grows only as the bytes arrive.
const DefaultMaxBinaryLength = 32 << 20

// Unbounded, given to SetBinaryMode, keeps the Parser in binary mode until
// SetLineMode: LineText2's set_binary_mode with no size.
const Unbounded = -1

// SetMaxBinaryLength changes the longest sized block collected into one
// call (at least 1), for blocks started from now on. Streamed and unsized
// blocks have no maximum.
func (p *Parser) SetMaxBinaryLength(n int64) { p.maxBin = max(n, 1) }

// SetStreamingBinary chooses how sized blocks started from now on arrive:
// with on, in pieces as they are read (a large body is never held in
// memory; the last piece is followed by EndOfBinaryData); with off, the
// default and LineText2's way, whole in one BinaryData call.
func (p *Parser) SetStreamingBinary(on bool) { p.stream = on }

// SetBinaryMode hands the next n bytes of the stream to BinaryData, then
// calls EndOfBinaryData and returns to line mode, as LineText2's
// set_binary_mode(n) and set_text_mode(n). Unless streaming is on, the n
// bytes arrive in one call however they were read; a block longer than the
// maximum binary length is reported to LineError as ErrBinaryTooLong
// (after the current callback returns when called from one) and skipped.
// n == Unbounded (or any n < 0) hands everything to BinaryData, piece by
// piece, until SetLineMode; n == 0 is SetLineMode, as in LineText2. Bytes
// of an unfinished line already buffered belong to the block and are
// delivered at the next Feed.
func (p *Parser) SetBinaryMode(n int64) {
	if n == 0 {
		p.SetLineMode()
		return
	}
	if p.discarding { // what was buffered is a delimiter prefix, not data
		p.discarding, p.buf = false, p.buf[:0]
	}
	p.binary, p.binLeft = true, max(n, -1)
	p.binStream, p.binSkip = p.stream || n < 0, false
	p.binBuf = p.binBuf[:0] // a block being delivered is only read, not overwritten
	if !p.binStream && n > p.maxBin {
		p.binSkip = true
		p.fail(fmt.Errorf("%w: a block of %d bytes, more than the maximum %d", ErrBinaryTooLong, n, p.maxBin))
	}
}

// fail reports err to the Sink now, or once the callback running returns.
func (p *Parser) fail(err error) {
	if !p.feeding {
		p.sink.LineError(err)
		return
	}
	if p.err == nil {
		p.err = err
	}
}

// SetLineMode returns to line mode, from an unsized block or in the middle
// of a sized one (whose bytes read so far are dropped). The data, if any, is
// parsed as lines before the rest of the stream: LineText2's
// set_line_mode(data), which hands back bytes, typically the part of a
// binary piece that belongs to the lines after it. Called from a Sink
// method, the data is parsed once that method returns (after
// EndOfBinaryData when called from the BinaryData of a sized block); called
// elsewhere, at once.
func (p *Parser) SetLineMode(data ...[]byte) {
	p.binary, p.binSkip = false, false
	p.binBuf = p.binBuf[:0]
	var back []byte
	for _, d := range data {
		back = append(back, d...)
	}
	if len(back) == 0 {
		return
	}
	if p.feeding {
		p.back = append(p.back, back...)
		return
	}
	p.Feed(back)
}

// BinaryMode reports whether the Parser is in binary mode.
func (p *Parser) BinaryMode() bool { return p.binary }

// Flush hands the part of a sized block read so far to BinaryData, without
// EndOfBinaryData, as LineText2 does when the connection closes before the
// end of a block; the block is then abandoned. It does nothing for a
// streamed block, whose pieces went out as they came.
func (p *Parser) Flush() {
	if !p.binary || p.binStream || p.binSkip || len(p.binBuf) == 0 {
		return
	}
	data := p.binBuf
	p.binary, p.binBuf = false, nil
	p.sink.BinaryData(data)
}

// feedBinary hands the block's share of data to the Sink (or collects it)
// and returns the rest.
func (p *Parser) feedBinary(data []byte) []byte {
	if p.binLeft < 0 {
		p.sink.BinaryData(data)
		return nil
	}
	n := int(min(int64(len(data)), p.binLeft))
	chunk, rest := data[:n], data[n:]
	p.binLeft -= int64(n)
	done := p.binLeft == 0
	if done {
		p.binary = false // line mode first, so the callbacks can chain blocks
	}
	switch {
	case p.binSkip:
		p.binSkip = !done
		return rest
	case p.binStream:
		p.sink.BinaryData(chunk)
	case !done:
		p.binBuf = append(p.binBuf, chunk...)
		return rest
	default:
		block := chunk // whole in this read: no copy
		if len(p.binBuf) > 0 {
			p.binBuf = append(p.binBuf, chunk...)
			block = p.binBuf
		}
		p.sink.BinaryData(block)
	}
	if done && !p.stopped {
		p.sink.EndOfBinaryData()
	}
	if cap(p.binBuf) > releaseAbove {
		p.binBuf = nil
	}
	return rest
}
