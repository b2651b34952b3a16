package http

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// clientParser states.
const (
	cpHead    uint8 = iota // accumulating the status line and header block
	cpLength               // body delimited by Content-Length
	cpChunked              // body in the chunked transfer coding
	cpClose                // body delimited by the server closing the connection
	cpDone                 // the response is complete
	cpFailed               // a parse error occurred; the parser is unusable
)

// clientParser is the client's pure HTTP/1.x response parser: bytes in,
// events out, no reactor. The status line and header block are parsed by
// net/http's ReadResponse once the block is complete; the body framing
// (Content-Length, chunked, close-delimited, or none for HEAD, 1xx, 204
// and 304) is decoded incrementally so that bytes may arrive split
// anywhere. It keeps no body bytes: each run is handed to onBody.
type clientParser struct {
	req       *http.Request // the request answered (HEAD has no body)
	maxHeader int           // bound on the header block (and on trailers)
	maxBody   int64         // bound on the decoded body; 0: none
	bodyNote  string        // said after the bound when a body passes it

	// onHead receives the final (non-1xx) response head; Body is unset. It
	// may change maxBody: a declared Content-Length is checked after it.
	onHead func(*http.Response) error
	// onBody receives each run of body bytes, valid only during the call.
	onBody func([]byte) error

	state   uint8
	started bool   // some byte of a response was seen
	head    []byte // partial header block carried between calls
	scan    int    // where to resume looking for the header block's end
	interim int    // bytes of 1xx heads skipped so far
	resp    *http.Response
	remain  int64 // cpLength: body bytes still expected
	nbody   int64 // body bytes delivered so far
	chunked chunkedDecoder
	err     error
}

// reset prepares the parser for the response to req.
func (p *clientParser) reset(req *http.Request) {
	p.req = req
	p.state, p.started = cpHead, false
	p.head, p.scan, p.interim = p.head[:0], 0, 0
	p.resp, p.remain, p.nbody, p.err = nil, 0, 0, nil
}

// done reports whether the response is complete.
func (p *clientParser) done() bool { return p.state == cpDone }

// keepAlive reports whether the connection may carry another request after
// this complete response: the body was not close-delimited and neither side
// asked to close (Connection: close, or HTTP/1.0 without keep-alive).
func (p *clientParser) keepAlive() bool {
	return p.state == cpDone && p.resp != nil && !p.resp.Close &&
		p.resp.StatusCode != http.StatusSwitchingProtocols
}

// feed parses data and returns how many bytes it consumed. It stops at the
// end of the response: the bytes after it are not consumed. An error makes
// the parser unusable (the connection must be closed), except the two a
// callback returns to stop early: after errClientPause the caller feeds the
// bytes not consumed again later; after errClientStop it drops the parser's
// response.
func (p *clientParser) feed(data []byte) (int, error) {
	if p.state == cpFailed {
		return 0, p.err
	}
	if len(data) > 0 {
		p.started = true
	}
	n := 0
	for n < len(data) && p.state != cpDone {
		var k int
		var err error
		switch p.state {
		case cpHead:
			k, err = p.feedHead(data[n:])
		case cpLength:
			k = int(min(p.remain, int64(len(data)-n)))
			p.remain -= int64(k)
			if p.remain == 0 {
				p.state = cpDone
			}
			err = p.body(data[n : n+k])
		case cpChunked:
			var b []byte
			k, b, err = p.chunked.decode(data[n:])
			if err != nil {
				err = p.chunkedError(err)
			} else if err = p.body(b); err == nil && p.chunked.done() {
				err = p.endChunked()
			}
		case cpClose:
			k = len(data) - n
			err = p.body(data[n:])
		}
		n += k
		if err != nil {
			if err != errClientStop && err != errClientPause {
				p.state, p.err = cpFailed, err
			}
			return n, err
		}
	}
	return n, nil
}

// eof tells the parser that the server closed the connection. It returns
// nil if that completed the response (a close-delimited body) or it was
// already complete, else an error saying what was cut short.
func (p *clientParser) eof() error {
	switch p.state {
	case cpDone, cpFailed:
		return p.err
	case cpClose:
		p.state = cpDone
		return nil
	case cpHead:
		if !p.started {
			return fmt.Errorf("server closed the connection without a response: %w", io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("server closed the connection inside the response header: %w", io.ErrUnexpectedEOF)
	case cpLength:
		return fmt.Errorf("server closed the connection after %d of %d body bytes: %w",
			p.nbody, p.nbody+p.remain, io.ErrUnexpectedEOF)
	default:
		return fmt.Errorf("server closed the connection inside a chunked body after %d bytes: %w",
			p.nbody, io.ErrUnexpectedEOF)
	}
}

// body counts and delivers body bytes, enforcing maxBody.
func (p *clientParser) body(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p.nbody += int64(len(b))
	if p.maxBody > 0 && p.nbody > p.maxBody {
		return fmt.Errorf("%w: body exceeds %d bytes%s", ErrClientResponseTooLarge, p.maxBody, p.bodyNote)
	}
	if p.onBody == nil {
		return nil
	}
	return p.onBody(b)
}

func (p *clientParser) endChunked() error {
	if tr := p.chunked.trailers(); tr != nil {
		p.resp.Trailer = tr
	}
	p.state = cpDone
	return nil
}

// chunkedError reports a chunked decoding error as the client's: a trailer
// over the header limit is ErrClientResponseTooLarge, anything else
// ErrClientMalformedResponse.
func (p *clientParser) chunkedError(err error) error {
	if errors.Is(err, errChunkedTrailerTooLarge) {
		return fmt.Errorf("%w: chunked trailer exceeds %d bytes", ErrClientResponseTooLarge, p.maxHeader)
	}
	return fmt.Errorf("%w: chunked body: %w", ErrClientMalformedResponse, err)
}

// feedHead accumulates the header block until its empty line, then parses
// it. It consumes only the block's bytes.
func (p *clientParser) feedHead(data []byte) (int, error) {
	if len(p.head) == 0 { // common case: the whole block is in this read
		if end, _ := headEnd(data, 0); end > 0 {
			if end > p.maxHeader {
				return end, p.headTooLarge()
			}
			return end, p.parseHead(data[:end])
		}
	}
	old := len(p.head)
	room := p.maxHeader - old
	take := data[:min(len(data), room)]
	p.head = append(p.head, take...)
	end, resume := headEnd(p.head, p.scan)
	if end < 0 {
		if len(take) < len(data) || len(p.head) >= p.maxHeader {
			return len(take), p.headTooLarge()
		}
		p.scan = resume
		return len(take), nil
	}
	block := p.head[:end]
	p.head, p.scan = p.head[:0], 0
	return end - old, p.parseHead(block)
}

func (p *clientParser) headTooLarge() error {
	return fmt.Errorf("%w: header block exceeds %d bytes", ErrClientResponseTooLarge, p.maxHeader)
}

// parseHead parses a complete header block with net/http and sets up the
// body framing. 1xx interim responses (other than 101) are skipped.
func (p *clientParser) parseHead(block []byte) error {
	br := bufio.NewReaderSize(bytes.NewReader(block), max(len(block), 16))
	resp, err := http.ReadResponse(br, p.req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrClientMalformedResponse, err)
	}
	if resp.ProtoMajor != 1 {
		return clientMalformed("unsupported protocol %q", resp.Proto)
	}
	code := resp.StatusCode
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Interim: the final response is still to come. Interim heads
		// count together against the header limit, so an endless stream
		// of them ends too.
		if p.interim += len(block); p.interim > p.maxHeader {
			return fmt.Errorf("%w: interim (1xx) responses exceed %d bytes", ErrClientResponseTooLarge, p.maxHeader)
		}
		return nil
	}
	resp.Body = nil
	p.resp = resp
	p.setFraming(resp)
	var herr error
	if p.onHead != nil {
		if herr = p.onHead(resp); herr == errClientStop {
			return herr
		}
	}
	if p.maxBody > 0 && p.state == cpLength && p.remain > p.maxBody {
		return fmt.Errorf("%w: Content-Length %d exceeds %d bytes%s", ErrClientResponseTooLarge, p.remain, p.maxBody, p.bodyNote)
	}
	return herr
}

// setFraming decides how the body ends, after RFC 9112 section 6.3.
func (p *clientParser) setFraming(resp *http.Response) {
	code := resp.StatusCode
	switch {
	case p.req != nil && p.req.Method == http.MethodHead,
		code < 200, code == http.StatusNoContent, code == http.StatusNotModified:
		p.state = cpDone
	case len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked":
		p.state = cpChunked
		p.chunked.reset(p.maxHeader)
	case resp.ContentLength > 0:
		p.state, p.remain = cpLength, resp.ContentLength
	case resp.ContentLength == 0:
		p.state = cpDone
	default:
		p.state = cpClose
		resp.Close = true
	}
}

// trailer returns the trailers of a chunked response (nil if none).
func (p *clientParser) trailer() http.Header {
	if p.resp == nil {
		return nil
	}
	return p.resp.Trailer
}
