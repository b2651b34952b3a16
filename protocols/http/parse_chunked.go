package http

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
)

// serverMaxChunkLine bounds a chunk-size line, extensions included, as
// net/http's chunked reader does.
const serverMaxChunkLine = 4096

// serverMaxChunkExcess is how much chunk framing beyond 16 bytes per chunk
// and twice the data is tolerated, as net/http: it stops a client that
// sends a byte of data per kilobyte of extensions.
const serverMaxChunkExcess = 16 << 10

type serverChunkStep uint8

const (
	serverChunkSize    serverChunkStep = iota // reading a chunk-size line
	serverChunkData                           // reading chunk data
	serverChunkCRLF                           // reading the CRLF after chunk data
	serverChunkTrailer                        // reading the trailer after the last chunk
)

// serverChunked is the state of a chunked request body being decoded. The
// framing follows net/http's reader: lines end in CRLF (a bare LF or a
// stray CR is an error), extensions are ignored, a size has at most 16
// hex digits; the trailer is parsed by net/textproto.
type serverChunked struct {
	step    serverChunkStep
	line    []byte // a size line or the trailer when it spans reads
	scanned int    // for the trailer: line[:scanned] holds no end
	left    uint64 // bytes of the current chunk still to come
	crlf    int    // bytes of the CRLF after the data seen so far
	excess  int64
}

var (
	errServerChunkLine   = errors.New("chunk size line too long")
	errServerChunkBareLF = errors.New("chunked line ends with bare LF")
	errServerChunkCR     = errors.New("invalid CR in chunked line")
	errServerChunkSize   = errors.New("invalid chunk size")
	errServerChunkCRLF   = errors.New("malformed chunked encoding: no CRLF after chunk data")
	errServerChunkExcess = errors.New("chunked encoding contains too much non-data")
)

func (p *serverParser) parseChunked(data []byte) (int, serverEvent) {
	c := &p.chunk
	n := 0
	for n < len(data) {
		switch c.step {
		case serverChunkSize:
			m, line, err := c.takeLine(data[n:])
			n += m
			if err != nil {
				return n, serverFail(http.StatusBadRequest, "malformed chunked body", err)
			}
			if line == nil {
				return n, serverEvent{}
			}
			if ev, bad := p.chunkSize(line); bad {
				return n, ev
			}
		case serverChunkData:
			m := int(min(uint64(len(data)-n), c.left))
			p.body = append(p.body, data[n:n+m]...)
			n += m
			if c.left -= uint64(m); c.left == 0 {
				c.step, c.crlf = serverChunkCRLF, 0
			}
		case serverChunkCRLF:
			if data[n] != "\r\n"[c.crlf] {
				return n, serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkCRLF)
			}
			n++
			if c.crlf++; c.crlf == 2 {
				c.step = serverChunkSize
			}
		case serverChunkTrailer:
			m, ev := p.chunkTrailer(data[n:])
			return n + m, ev
		}
	}
	return n, serverEvent{}
}

// takeLine returns the next CRLF-terminated line (nil until it is
// complete) and how much of data it consumed.
func (c *serverChunked) takeLine(data []byte) (int, []byte, error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(c.line)+len(data) > serverMaxChunkLine+2 {
			return len(data), nil, errServerChunkLine
		}
		c.line = append(c.line, data...)
		return len(data), nil, nil
	}
	line := data[:i+1]
	if len(c.line) > 0 {
		c.line = append(c.line, line...)
		line = c.line
	}
	c.line = c.line[:0]
	return i + 1, line, nil
}

// chunkSize parses a chunk-size line (CRLF included) and moves on to the
// data or the trailer. It reports true with an error event if the line or
// the size is bad.
func (p *serverParser) chunkSize(line []byte) (serverEvent, bool) {
	c := &p.chunk
	cr := bytes.IndexByte(line, '\r')
	switch {
	case cr < 0:
		return serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkBareLF), true
	case cr != len(line)-2:
		return serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkCR), true
	}
	line = line[:len(line)-2]
	if len(line) >= serverMaxChunkLine {
		return serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkLine), true
	}
	c.excess += int64(len(line)) + 2
	line, _, _ = bytes.Cut(bytes.TrimRight(line, " \t"), []byte(";"))
	size, ok := serverParseHex(bytes.TrimRight(line, " \t"))
	if !ok {
		return serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkSize), true
	}
	c.excess = max(c.excess-16-2*int64(min(size, 1<<40)), 0)
	if c.excess > serverMaxChunkExcess {
		return serverFail(http.StatusBadRequest, "malformed chunked body", errServerChunkExcess), true
	}
	if size == 0 {
		c.step, c.line, c.scanned = serverChunkTrailer, append(c.line[:0], '\n'), 0
		return serverEvent{}, false
	}
	if size > uint64(p.maxBody-int64(len(p.body))) {
		return p.bodyTooLarge(), true
	}
	c.step, c.left = serverChunkData, size
	return serverEvent{}, false
}

// serverParseHex parses a chunk size as net/http does: 1 to 16 hex digits.
func serverParseHex(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 16 {
		return 0, false
	}
	var n uint64
	for _, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(b)
	}
	return n, true
}

// chunkTrailer reads the trailer after the last chunk: header lines up to
// an empty line, parsed by net/textproto into req.Trailer. The trailer is
// kept after an LF standing for the end of the last-chunk line, so that
// the head-end search applies unchanged. It consumes at most the trailer.
func (p *serverParser) chunkTrailer(data []byte) (int, serverEvent) {
	c := &p.chunk
	old := len(c.line)
	take := min(len(data), p.maxHead+2-old)
	c.line = append(c.line, data[:take]...)
	end, resume := serverHeadEnd(c.line, c.scanned)
	if end < 0 {
		if len(c.line) > p.maxHead+1 {
			return take, serverFail(http.StatusRequestHeaderFieldsTooLarge, "trailer too large", nil)
		}
		c.scanned = resume
		return take, serverEvent{}
	}
	// As net/http: the trailer is a lone CRLF, or header lines ending in
	// an empty CRLF line.
	if block := c.line[1:end]; string(block) != "\r\n" {
		if !bytes.HasSuffix(block, []byte("\r\n\r\n")) {
			return end - old, serverFail(http.StatusBadRequest, "malformed trailer", nil)
		}
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(block)))
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return end - old, serverFail(http.StatusBadRequest, "malformed trailer", err)
		}
		if p.req.Trailer == nil {
			p.req.Trailer = make(http.Header, len(hdr))
		}
		for k, v := range hdr {
			p.req.Trailer[k] = v
		}
	}
	c.line = nil
	return end - old, p.complete()
}
