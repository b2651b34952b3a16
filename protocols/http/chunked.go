package http

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
)

// chunkedMaxLine bounds a chunk-size line, extensions and CRLF included,
// as net/http's chunked reader does in effect (the line must fit its
// 4 KiB read buffer).
const chunkedMaxLine = 4096

// chunkedMaxExcess is how much chunk framing beyond 16 bytes per chunk and
// twice the data is tolerated, as net/http: it stops a peer that sends a
// byte of data per kilobyte of extensions.
const chunkedMaxExcess = 16 << 10

// chunkedMaxSize bounds one chunk's size, so that sizes stay far from
// overflowing an int64 whatever is added to them; no real body comes
// near it.
const chunkedMaxSize = 1<<60 - 1

type chunkedStep uint8

const (
	chunkedSizeLine chunkedStep = iota // reading a chunk-size line
	chunkedData                        // reading chunk data
	chunkedDataEnd                     // reading the CRLF after chunk data
	chunkedTrailer                     // reading the trailer after the last chunk
	chunkedDone                        // the trailer's final empty line was read
)

// The decoder's errors. errChunkedTrailerTooLarge and errChunkedTrailer
// are for the trailer; every other one is bad chunk framing.
var (
	errChunkedLine            = errors.New("chunk size line too long")
	errChunkedBareLF          = errors.New("chunked line ends with bare LF")
	errChunkedCR              = errors.New("invalid CR in chunked line")
	errChunkedSize            = errors.New("invalid chunk size")
	errChunkedSizeTooLarge    = errors.New("chunk size too large")
	errChunkedCRLF            = errors.New("no CRLF after chunk data")
	errChunkedExcess          = errors.New("chunked encoding contains too much non-data")
	errChunkedTrailer         = errors.New("malformed chunked trailer")
	errChunkedTrailerTooLarge = errors.New("chunked trailer too large")
)

// chunkedDecoder is an incremental decoder of the chunked transfer coding
// (RFC 9112, section 7.1), shared by the server (request bodies) and the
// client (response bodies). It is pure: bytes in, body runs out, no
// reactor. Bytes may arrive split anywhere. It never copies body bytes:
// each run it returns is a subslice of the caller's data. Between calls it
// keeps only a partial size line or the trailer.
//
// The framing is net/http's chunked reader's: lines end in CRLF (a bare LF
// or a CR elsewhere in the line is an error, RFC 9112 errata 7633), a size
// has 1 to 16 hex digits (and is below 2^60), optional whitespace after
// it, extensions after a ';' are ignored, and framing that outweighs the
// data too much is refused. The trailer, at most maxTrailer bytes with its
// final empty line, which must end in CRLF, is parsed by net/textproto.
type chunkedDecoder struct {
	step       chunkedStep
	left       int64  // chunkedData: bytes of the current chunk still to come
	crlf       int    // chunkedDataEnd: bytes of the CRLF seen so far
	excess     int64  // framing bytes beyond what the data allows
	line       []byte // a size line spanning reads; in the trailer, "\n" + the trailer so far
	scanned    int    // chunkedTrailer: line[:scanned] holds no end
	maxTrailer int
	trailer    http.Header
}

// reset prepares d for a new body whose trailer may have at most
// maxTrailer bytes (its final empty line included).
func (d *chunkedDecoder) reset(maxTrailer int) {
	line := d.line[:0]
	if cap(line) > 4<<10 {
		line = nil
	}
	*d = chunkedDecoder{line: line, maxTrailer: max(maxTrailer, 0)}
}

// done reports whether the body ended: the last chunk and the trailer were
// read.
func (d *chunkedDecoder) done() bool { return d.step == chunkedDone }

// chunkLeft returns how many bytes of the current chunk are still to come
// (0 between chunks), so that a caller can refuse a chunk that would pass
// its body limit as soon as its size is known.
func (d *chunkedDecoder) chunkLeft() int64 {
	if d.step != chunkedData {
		return 0
	}
	return d.left
}

// trailers returns the trailer once done (nil when there was none).
func (d *chunkedDecoder) trailers() http.Header { return d.trailer }

// decode consumes a prefix of data and returns how much, with the chunk
// data among it (body, a subslice of data, valid as long as data is;
// possibly empty). It returns after each run of data and after each
// chunk-size line that starts a chunk (so that chunkLeft can be checked
// before the data), at the end of the body (the bytes after it are not
// consumed: they belong to what follows), at an error, or when data is
// used up; the caller calls again with the rest. After an error the
// decoder is unusable until reset.
func (d *chunkedDecoder) decode(data []byte) (n int, body []byte, err error) {
	for n < len(data) {
		switch d.step {
		case chunkedSizeLine:
			m, line, ok, err := d.sizeLine(data[n:])
			n += m
			if err != nil || !ok {
				return n, nil, err
			}
			if err := d.startChunk(line); err != nil || d.step == chunkedData {
				return n, nil, err
			}
		case chunkedData:
			m := int(min(int64(len(data)-n), d.left))
			if d.left -= int64(m); d.left == 0 {
				d.step, d.crlf = chunkedDataEnd, 0
			}
			return n + m, data[n : n+m], nil
		case chunkedDataEnd:
			if data[n] != "\r\n"[d.crlf] {
				return n, nil, errChunkedCRLF
			}
			n++
			if d.crlf++; d.crlf == 2 {
				d.step = chunkedSizeLine
			}
		case chunkedTrailer:
			m, err := d.readTrailer(data[n:])
			return n + m, nil, err
		default: // chunkedDone
			return n, nil, nil
		}
	}
	return n, nil, nil
}

// sizeLine consumes data up to and including the LF that ends a size
// line. ok is false when data ended first (the part seen is kept). line
// excludes the CRLF and may alias data or d.line: it is valid until the
// decoder's state changes.
func (d *chunkedDecoder) sizeLine(data []byte) (n int, line []byte, ok bool, err error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(d.line)+len(data) >= chunkedMaxLine { // no room left for the LF
			return len(data), nil, false, errChunkedLine
		}
		d.line = append(d.line, data...)
		return len(data), nil, false, nil
	}
	// The length is checked first, so that a long line fails alike
	// whether its LF came in the same read or not.
	if len(d.line)+i+1 > chunkedMaxLine {
		return i + 1, nil, false, errChunkedLine
	}
	line = data[:i+1]
	if len(d.line) > 0 {
		d.line = append(d.line, line...)
		line, d.line = d.line, d.line[:0]
	}
	switch cr := bytes.IndexByte(line, '\r'); {
	case cr < 0:
		return i + 1, nil, false, errChunkedBareLF
	case cr != len(line)-2:
		return i + 1, nil, false, errChunkedCR
	}
	return i + 1, line[:len(line)-2], true, nil
}

// startChunk acts on a complete size line (CRLF excluded): it moves on to
// the chunk's data, or to the trailer after the last chunk.
func (d *chunkedDecoder) startChunk(line []byte) error {
	d.excess += int64(len(line)) + 2 // the line's CRLF, plus the one after the data
	size, err := parseChunkSize(line)
	if err != nil {
		return err
	}
	d.excess = max(d.excess-16-2*size, 0)
	if d.excess > chunkedMaxExcess {
		return errChunkedExcess
	}
	if size == 0 {
		// The trailer is kept after an LF standing for the end of this
		// line, so that headEnd finds an empty trailer ("\r\n") too.
		d.step, d.line, d.scanned = chunkedTrailer, append(d.line[:0], '\n'), 0
		return nil
	}
	d.step, d.left = chunkedData, size
	return nil
}

// parseChunkSize parses a size line without its CRLF as net/http does:
// trailing spaces and tabs dropped, then anything from ';' on (the
// extensions) ignored, then 1 to 16 hex digits and nothing else.
func parseChunkSize(line []byte) (int64, error) {
	line, _, _ = bytes.Cut(bytes.TrimRight(line, " \t"), []byte(";"))
	if len(line) == 0 || len(line) > 16 {
		return 0, errChunkedSize
	}
	var n uint64
	for _, b := range line {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, errChunkedSize
		}
		n = n<<4 | uint64(b)
	}
	if n > chunkedMaxSize {
		return 0, errChunkedSizeTooLarge
	}
	return int64(n), nil
}

// readTrailer reads the trailer after the last chunk: header lines up to
// an empty line, or that empty line alone. It consumes at most the
// trailer and parses it with net/textproto once complete.
func (d *chunkedDecoder) readTrailer(data []byte) (int, error) {
	old := len(d.line) // the LF in front counts for nothing
	take := min(len(data), d.maxTrailer+2-old)
	d.line = append(d.line, data[:take]...)
	end, resume := headEnd(d.line, d.scanned)
	if end < 0 {
		if len(d.line)-1 > d.maxTrailer {
			return take, errChunkedTrailerTooLarge
		}
		d.scanned = resume
		return take, nil
	}
	n := end - old
	if end-1 > d.maxTrailer {
		return n, errChunkedTrailerTooLarge
	}
	// As net/http: a lone CRLF, or header lines ending in an empty CRLF
	// line.
	if block := d.line[1:end]; string(block) != "\r\n" {
		if !bytes.HasSuffix(block, []byte("\r\n\r\n")) {
			return n, fmt.Errorf("%w: it does not end in CRLF", errChunkedTrailer)
		}
		tp := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(block), len(block)))
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return n, fmt.Errorf("%w: %w", errChunkedTrailer, err)
		}
		d.trailer = http.Header(hdr)
	}
	d.step = chunkedDone
	if cap(d.line) > 4<<10 {
		d.line = nil
	}
	return n, nil
}
