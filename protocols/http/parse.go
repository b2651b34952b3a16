package http

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// serverParser is the server's request parser: bytes in, requests out, no
// reactor. It finds the end of a request head itself and hands the
// complete head to net/http's ReadRequest (request line, headers, URL,
// Content-Length and Transfer-Encoding validation are net/http's), then
// frames the body (Content-Length or chunked) within the limits.
//
// A body is buffered into the request, or, once the caller asks for it
// with stream after the head, handed out in runs as it arrives. A bounded
// parser buffers no more than the room its caller granted: when it needs
// more it says how much (serverNeedRoom) and waits to be granted it.
type serverParser struct {
	maxHead int   // request line and header block, final empty line included
	maxBody int64 // decoded body

	head     []byte // a head that spans reads, so far
	scanned  int    // head[:scanned] holds no end of head
	req      *http.Request
	body     []byte
	left     int64 // Content-Length bytes still to come
	streamed int64 // streaming: body bytes handed out so far
	room     int64 // bounded: body bytes the parser may still buffer
	chunk    chunkedDecoder

	ctx context.Context // the requests' context (nil: context.Background())

	state     serverParseState
	lead      uint8 // CR and LF bytes skipped before the request being read
	streaming bool  // the current body is handed out, not buffered
	bounded   bool  // buffering is bounded by room
}

type serverParseState uint8

const (
	serverStateHead    serverParseState = iota // reading a request head
	serverStateBody                            // reading a Content-Length body
	serverStateChunked                         // reading a chunked body
)

// serverEventKind says what parse found.
type serverEventKind uint8

const (
	serverNeedMore   serverEventKind = iota // everything given was consumed; no complete request yet
	serverGotHead                           // a head whose body follows; the request is not complete
	serverGotBody                           // a run of a streamed body (data)
	serverNeedRoom                          // buffering the body needs n more bytes of room (grant)
	serverGotRequest                        // a complete request (for a streamed body: its end)
	serverGotError                          // a request the server must refuse; stop parsing
)

type serverEvent struct {
	kind serverEventKind
	req  *http.Request
	err  *serverRequestError
	data []byte // serverGotBody: a subslice of parse's data
	n    int64  // serverNeedRoom
}

// serverMaxLeadingEmpty bounds the CR and LF bytes ignored before a
// request: two empty lines, which is what net/http skips (it peeks 4
// bytes).
const serverMaxLeadingEmpty = 4

// parse consumes a prefix of data and reports what it found. The caller
// calls it again with the rest until it has consumed everything (or got an
// error). data may be reused once parse returns: what the parser keeps it
// copies, and a request never points into data.
func (p *serverParser) parse(data []byte) (int, serverEvent) {
	switch p.state {
	case serverStateBody:
		return p.parseBody(data)
	case serverStateChunked:
		return p.parseChunked(data)
	}
	return p.parseHead(data)
}

// inProgress reports whether part of a request has been consumed.
func (p *serverParser) inProgress() bool {
	return p.state != serverStateHead || len(p.head) > 0
}

// readingBody reports whether the parser is in the body of a request.
func (p *serverParser) readingBody() bool { return p.state != serverStateHead }

func (p *serverParser) parseHead(data []byte) (int, serverEvent) {
	if len(p.head) == 0 {
		// Empty lines before a request are ignored (RFC 9112, 2.2), up to
		// serverMaxLeadingEmpty bytes in all, as net/http.
		skip := 0
		for skip < len(data) && (data[skip] == '\r' || data[skip] == '\n') {
			if p.lead++; p.lead > serverMaxLeadingEmpty {
				return skip, serverFail(http.StatusBadRequest, "too many empty lines before the request", nil)
			}
			skip++
		}
		data = data[skip:]
		if len(data) == 0 {
			return skip, serverEvent{}
		}
		if end, resume := headEnd(data, 0); end >= 0 {
			if end > p.maxHead {
				return skip, p.headTooLarge()
			}
			return skip + end, p.finishHead(data[:end]) // straight from the read: no copy
		} else if len(data) > p.maxHead {
			return skip, p.headTooLarge()
		} else {
			p.head = append(p.head[:0], data...)
			p.scanned = resume
		}
		return skip + len(data), serverEvent{}
	}
	old := len(p.head)
	take := min(len(data), p.maxHead+1-old) // never more than the limit
	p.head = append(p.head, data[:take]...)
	end, resume := headEnd(p.head, p.scanned)
	switch {
	case end > p.maxHead || (end < 0 && len(p.head) > p.maxHead):
		return take, p.headTooLarge()
	case end < 0:
		p.scanned = resume
		return take, serverEvent{}
	}
	ev := p.finishHead(p.head[:end])
	if cap(p.head) > 4<<10 {
		p.head = nil
	} else {
		p.head = p.head[:0]
	}
	return end - old, ev
}

func (p *serverParser) headTooLarge() serverEvent {
	return serverFail(http.StatusRequestHeaderFieldsTooLarge,
		fmt.Sprintf("request line and headers larger than %d bytes", p.maxHead), nil)
}

// serverHeadReader is a reusable reader over one head block.
type serverHeadReader struct {
	rd bytes.Reader
	br *bufio.Reader
}

var serverHeadReaders = sync.Pool{New: func() any {
	h := &serverHeadReader{}
	h.br = bufio.NewReaderSize(&h.rd, 4096)
	return h
}}

// serverReadHead parses one complete head with net/http. It also reports
// whether ReadRequest left bytes of the block unread, which would mean the
// two disagree on where the head ends.
func serverReadHead(block []byte) (*http.Request, bool, error) {
	h := serverHeadReaders.Get().(*serverHeadReader)
	h.rd.Reset(block)
	h.br.Reset(&h.rd)
	req, err := http.ReadRequest(h.br)
	left := h.br.Buffered() + h.rd.Len()
	h.rd.Reset(nil)
	h.br.Reset(&h.rd)
	serverHeadReaders.Put(h)
	return req, left != 0, err
}

// finishHead parses a complete head and sets up the body.
func (p *serverParser) finishHead(block []byte) serverEvent {
	ctx := p.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if req, f, ok := serverFastHead(block, ctx); ok {
		return p.headParsed(req, f)
	}
	req, leftover, err := serverReadHead(block)
	switch {
	case err != nil && serverUnsupportedTE(err):
		return serverFail(http.StatusNotImplemented, "unsupported transfer encoding", err)
	case err != nil:
		return serverFail(http.StatusBadRequest, "malformed request", err)
	case leftover:
		return serverFail(http.StatusBadRequest, "malformed request head", nil)
	case req.ProtoMajor != 1:
		return serverFail(http.StatusHTTPVersionNotSupported, "unsupported HTTP version "+req.Proto, nil)
	}
	f, ok := serverScanHead(block)
	if !ok {
		return serverFail(http.StatusBadRequest, "invalid header name", nil)
	}
	return p.headParsed(req, f)
}

// headParsed checks a parsed head, whose header names are tokens and
// whose framing headers are f, and sets up the body.
func (p *serverParser) headParsed(req *http.Request, f serverFraming) serverEvent {
	if ev, ok := serverCheckHead(req, f); !ok {
		return ev
	}
	p.req = req
	switch {
	case len(req.TransferEncoding) > 0: // net/http accepts only "chunked" here
		p.state = serverStateChunked
		p.chunk.reset(p.maxHead)
		return serverEvent{kind: serverGotHead, req: req}
	case req.ContentLength > p.maxBody:
		p.req = nil
		return p.bodyTooLarge()
	case req.ContentLength > 0:
		p.state, p.left = serverStateBody, req.ContentLength
		return serverEvent{kind: serverGotHead, req: req}
	}
	return p.complete()
}

// serverUnsupportedTE reports whether ReadRequest refused a request's
// Transfer-Encoding (net/http answers those 501, telling them apart by an
// unexported type; its messages are what is left to us).
func serverUnsupportedTE(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unsupported transfer encoding") ||
		strings.Contains(msg, "too many transfer encodings")
}

// serverCheckHead applies what net/http's server checks after ReadRequest,
// and what RFC 9112 asks beyond it, to a parsed head whose header names
// are tokens (serverScanHead checked, as textproto keeps "Content-Length :
// 5" under a name with a space, which the framing would then ignore:
// request smuggling) and whose framing headers are f: the Host header
// is present in HTTP/1.1 and well formed, Transfer-Encoding is refused in
// HTTP/1.0 (section 6.1: faulty framing; net/http ignores it), and a
// request with both Transfer-Encoding and Content-Length is marked to close
// its connection once answered (section 6.1's MUST).
func serverCheckHead(req *http.Request, f serverFraming) (serverEvent, bool) {
	if !serverValidHost(req.Host) {
		return serverFail(http.StatusBadRequest, "malformed Host header", nil), false
	}
	switch {
	case req.ProtoMinor > 0 && req.Method != "CONNECT" && !f.host:
		return serverFail(http.StatusBadRequest, "missing required Host header", nil), false
	case f.transferEncoding && req.ProtoMinor == 0:
		return serverFail(http.StatusBadRequest, "Transfer-Encoding in an HTTP/1.0 request", nil), false
	case f.transferEncoding && f.contentLength:
		req.Close = true
	}
	return serverEvent{}, true
}
