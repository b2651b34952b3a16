package http

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
)

// clientMaxChunkLine bounds a chunk-size line, extensions included, as
// net/http's chunked reader does.
const clientMaxChunkLine = 4096

// clientChunked states.
const (
	ckSize    uint8 = iota // reading a chunk-size line
	ckData                 // inside a chunk's data
	ckDataCR               // expecting the CR after a chunk's data
	ckDataLF               // expecting the LF after a chunk's data
	ckTrailer              // reading trailer lines after the last chunk
	ckDone                 // the empty line after the trailer was read
)

// clientChunked is an incremental decoder of the chunked transfer coding
// (RFC 9112 section 7.1). Bytes may arrive split anywhere; it keeps only a
// partial size or trailer line between calls, never body bytes, so decoding
// costs no copy of the data. It does not import the reactor.
type clientChunked struct {
	state      uint8
	left       int64  // data bytes left in the current chunk
	line       []byte // a partial line carried over from the previous call
	trailer    []byte // trailer field lines, each ending in CRLF
	maxTrailer int    // bound on the trailer block
}

func (d *clientChunked) reset(maxTrailer int) {
	d.state, d.left = ckSize, 0
	d.line, d.trailer = d.line[:0], d.trailer[:0]
	d.maxTrailer = maxTrailer
}

// done reports whether the terminating chunk and trailer were read.
func (d *clientChunked) done() bool { return d.state == ckDone }

// feed decodes data, handing each run of body bytes to emit (which may not
// keep them). It returns how many bytes it consumed: all of data, or fewer
// when the body ended within it (the rest belongs to whatever follows) or
// on error. An error from emit stops decoding and is returned as is.
func (d *clientChunked) feed(data []byte, emit func([]byte) error) (int, error) {
	n := 0
	for n < len(data) && d.state != ckDone {
		switch d.state {
		case ckSize, ckTrailer:
			line, k, ok, err := d.readLine(data[n:])
			n += k
			if err != nil {
				return n, err
			}
			if ok {
				if err := d.endLine(line); err != nil {
					return n, err
				}
			}
		case ckData:
			k := int(min(d.left, int64(len(data)-n)))
			d.left -= int64(k)
			if d.left == 0 {
				d.state = ckDataCR
			}
			if err := emit(data[n : n+k]); err != nil {
				return n + k, err
			}
			n += k
		case ckDataCR, ckDataLF:
			want := byte('\r')
			if d.state == ckDataLF {
				want = '\n'
			}
			if data[n] != want {
				return n, clientMalformed("chunked body: chunk data not followed by CRLF")
			}
			n++
			if d.state == ckDataCR {
				d.state = ckDataLF
			} else {
				d.state = ckSize
			}
		}
	}
	return n, nil
}

// readLine consumes up to and including the next LF. ok is false when data
// ended first (the partial line is kept). line excludes the CRLF or LF and
// may alias data or d.line: it is valid until the next call.
func (d *clientChunked) readLine(data []byte) (line []byte, n int, ok bool, err error) {
	limit := clientMaxChunkLine
	if d.state == ckTrailer {
		limit = d.maxTrailer - len(d.trailer)
	}
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(d.line)+len(data) > limit {
			return nil, len(data), false, d.lineTooLong()
		}
		d.line = append(d.line, data...)
		return nil, len(data), false, nil
	}
	if len(d.line)+i > limit {
		return nil, i + 1, false, d.lineTooLong()
	}
	line = data[:i]
	if len(d.line) > 0 {
		d.line = append(d.line, line...)
		line = d.line
		d.line = d.line[:0]
	}
	return bytes.TrimSuffix(line, []byte("\r")), i + 1, true, nil
}

func (d *clientChunked) lineTooLong() error {
	if d.state == ckTrailer {
		return fmt.Errorf("%w: chunked trailer exceeds %d bytes", ErrClientResponseTooLarge, d.maxTrailer)
	}
	return clientMalformed("chunked body: chunk-size line too long")
}

// endLine acts on one complete size or trailer line.
func (d *clientChunked) endLine(line []byte) error {
	if d.state == ckTrailer {
		if len(line) == 0 {
			d.state = ckDone
			return nil
		}
		d.trailer = append(append(d.trailer, line...), '\r', '\n')
		return nil
	}
	size, err := clientChunkSize(line)
	if err != nil {
		return err
	}
	if size == 0 {
		d.state = ckTrailer
		return nil
	}
	d.left, d.state = size, ckData
	return nil
}

// clientChunkSize parses a chunk-size line: hexadecimal digits, optional
// whitespace, optional ";extensions" (ignored), as net/http accepts them.
func clientChunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 {
		return 0, clientMalformed("chunked body: empty chunk size")
	}
	if len(line) > 15 { // 15 hex digits keep the size below 2^60
		return 0, clientMalformed("chunked body: chunk size too large")
	}
	var n int64
	for _, b := range line {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, clientMalformed("chunked body: invalid chunk size %q", line)
		}
		n = n<<4 | int64(b)
	}
	return n, nil
}

// trailers parses the trailer block read after the last chunk (nil when
// there was none).
func (d *clientChunked) trailers() (http.Header, error) {
	if len(d.trailer) == 0 {
		return nil, nil
	}
	block := append(d.trailer, '\r', '\n')
	tp := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(block), len(block)))
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, clientMalformed("chunked trailer: %v", err)
	}
	return http.Header(h), nil
}

// clientMalformed returns an error wrapping ErrClientMalformedResponse.
func clientMalformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrClientMalformedResponse, fmt.Sprintf(format, args...))
}

// errClientStop is returned by a parser callback to stop parsing at once
// (the request was cancelled from inside the callback).
var errClientStop = errors.New("http client: parsing stopped")
