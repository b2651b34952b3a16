package http

// clientPrealloc bounds what a Content-Length alone makes the client
// allocate before the bytes arrive.
const clientPrealloc = 1 << 20

// clientBlock is the size of the blocks a collected body of unknown length
// is kept in past its first clientBlock bytes.
const clientBlock = 1 << 20

// collect adds b to the body being collected for r, which limit bounds
// (0: no bound; the parser has checked it). A body of declared length goes
// into one buffer (clientAppend). One of unknown length (chunked,
// close-delimited) grows by doubling up to clientBlock, then in blocks of
// clientBlock, the last one cut to the bound, joined once when complete
// (collected): nothing is copied to grow and no doubled buffer is ever
// held, so a body cut at the bound held about the bound and no more.
func (r *ClientRequest) collect(b []byte, limit int64) {
	resp := r.resp
	if resp.ContentLength >= 0 || len(r.parts) == 0 && len(resp.Body)+len(b) <= clientBlock {
		first := limit
		if resp.ContentLength < 0 && (first == 0 || first > clientBlock) {
			first = clientBlock
		}
		resp.Body = clientAppend(resp.Body, b, resp.ContentLength, first)
		return
	}
	for len(b) > 0 {
		if len(resp.Body) == cap(resp.Body) {
			r.parts = append(r.parts, resp.Body)
			r.partsLen += len(resp.Body)
			next := int64(clientBlock)
			if limit > 0 {
				next = min(next, max(limit-int64(r.partsLen), int64(len(b))))
			}
			resp.Body = make([]byte, 0, next)
		}
		n := min(len(b), cap(resp.Body)-len(resp.Body))
		resp.Body = append(resp.Body, b[:n]...)
		b = b[n:]
	}
}

// collected returns the whole collected body, joining its blocks.
func (r *ClientRequest) collected() []byte {
	body := r.resp.Body
	if r.parts == nil {
		return body
	}
	all := make([]byte, 0, r.partsLen+len(body))
	for _, p := range r.parts {
		all = append(all, p...)
	}
	all = append(all, body...)
	r.parts, r.partsLen = nil, 0
	return all
}

// clientAppend appends b to body, doubling capacity (capped at the
// declared length, when known, and at limit, when > 0) so a large body is
// copied about once more in all. Beyond the first clientPrealloc bytes it
// never holds more than twice what actually arrived, whatever the
// declared length, nor more than limit.
func clientAppend(body, b []byte, declared, limit int64) []byte {
	need := len(body) + len(b)
	if need > cap(body) {
		newCap := max(2*cap(body), need, int(min(clientPrealloc, max(declared, 0))))
		if declared >= int64(need) {
			newCap = int(min(int64(newCap), declared))
		}
		if limit >= int64(need) {
			newCap = int(min(int64(newCap), limit))
		}
		nb := make([]byte, len(body), newCap)
		copy(nb, body)
		body = nb
	}
	return append(body, b...)
}
