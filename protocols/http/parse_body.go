package http

import (
	"errors"
	"fmt"
	"net/http"
)

// serverInitialBody bounds the first allocation for a Content-Length
// body, so that a client announcing a large body and sending little costs
// little; past it the buffer grows once, to exactly the length announced.
const serverInitialBody = 64 << 10

// stream makes the body of the request whose head was just returned come
// out as serverGotBody runs instead of being buffered.
func (p *serverParser) stream() { p.streaming = true }

// grant lets a bounded parser buffer n more body bytes.
func (p *serverParser) grant(n int64) { p.room += n }

// bodyLen returns how many body bytes the parser buffered for the current
// request.
func (p *serverParser) bodyLen() int64 { return int64(len(p.body)) }

func (p *serverParser) bodyTooLarge() serverEvent {
	return serverFail(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body larger than %d bytes", p.maxBody), nil)
}

// needRoom reports the event asking for room for n more buffered bytes,
// if a bounded parser lacks it.
func (p *serverParser) needRoom(n int64) (serverEvent, bool) {
	if p.streaming || !p.bounded || n <= p.room {
		return serverEvent{}, false
	}
	return serverEvent{kind: serverNeedRoom, n: n - p.room}, true
}

func (p *serverParser) parseBody(data []byte) (int, serverEvent) {
	if p.left == 0 { // a streamed body's last run went out in the previous call
		return 0, p.complete()
	}
	if ev, need := p.needRoom(p.left); need {
		return 0, ev
	}
	n := int(min(int64(len(data)), p.left))
	p.left -= int64(n)
	if p.streaming {
		p.streamed += int64(n)
		return n, serverEvent{kind: serverGotBody, data: data[:n]}
	}
	p.keep(data[:n], p.req.ContentLength)
	if p.left > 0 {
		return n, serverEvent{}
	}
	return n, p.complete()
}

// ending reports whether the current request's end is ready to be
// reported by a call to parse even without more data (a streamed body's
// last run has been handed out).
func (p *serverParser) ending() bool { return p.state == serverStateBody && p.left == 0 }

// keep appends b to the buffered body, growing it to at most want bytes
// when that is known (a Content-Length) and by doubling otherwise, never
// beyond the room granted.
func (p *serverParser) keep(b []byte, want int64) {
	if need := len(p.body) + len(b); need > cap(p.body) {
		var size int64
		switch {
		case want > 0 && cap(p.body) == 0:
			size = min(want, serverInitialBody)
		case want > 0:
			size = want
		default:
			size = max(int64(2*cap(p.body)), 4<<10)
		}
		size = max(size, int64(need))
		if p.bounded {
			size = min(size, int64(len(p.body))+p.room)
		}
		nb := make([]byte, len(p.body), size)
		copy(nb, p.body)
		p.body = nb
	}
	p.body = append(p.body, b...)
	if p.bounded {
		p.room -= int64(len(b))
	}
}

// parseChunked decodes a chunked body with the shared decoder, refusing a
// chunk that would pass the body limit as soon as its size is read.
func (p *serverParser) parseChunked(data []byte) (int, serverEvent) {
	c := &p.chunk
	n := 0
	for n < len(data) {
		if ev, need := p.needRoom(c.chunkLeft()); need {
			return n, ev
		}
		m, body, err := c.decode(data[n:])
		n += m
		if err != nil {
			return n, serverChunkedFail(err)
		}
		if p.streaming && len(body) > 0 {
			p.streamed += int64(len(body))
			return n, serverEvent{kind: serverGotBody, data: body}
		}
		p.keep(body, -1)
		if c.done() {
			if tr := c.trailers(); tr != nil {
				if p.req.Trailer == nil {
					p.req.Trailer = make(http.Header, len(tr))
				}
				for k, v := range tr {
					p.req.Trailer[k] = v
				}
			}
			return n, p.complete()
		}
		if c.chunkLeft() > p.maxBody-p.received() {
			return n, p.bodyTooLarge()
		}
	}
	return n, serverEvent{}
}

// received returns the body bytes received so far (buffered or streamed).
func (p *serverParser) received() int64 {
	if p.streaming {
		return p.streamed
	}
	return int64(len(p.body))
}

// serverChunkedFail turns a chunked decoding error into the answer: 431
// for a trailer over the head limit, else 400.
func serverChunkedFail(err error) serverEvent {
	switch {
	case errors.Is(err, errChunkedTrailerTooLarge):
		return serverFail(http.StatusRequestHeaderFieldsTooLarge, "trailer too large", nil)
	case errors.Is(err, errChunkedTrailer):
		return serverFail(http.StatusBadRequest, "malformed trailer", err)
	}
	return serverFail(http.StatusBadRequest, "malformed chunked body", err)
}

// complete hands out the current request with its body and resets the
// parser for the next one.
func (p *serverParser) complete() serverEvent {
	req := p.req
	switch {
	case p.streaming:
	case len(p.body) == 0:
		req.Body = http.NoBody
	default:
		b := &serverBody{data: p.body}
		b.Reset(p.body)
		req.Body = b
	}
	p.req, p.body, p.state, p.lead = nil, nil, serverStateHead, 0
	p.streaming, p.streamed, p.room = false, 0, 0
	return serverEvent{kind: serverGotRequest, req: req}
}
