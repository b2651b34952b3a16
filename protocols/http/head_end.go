package http

import "bytes"

// headEnd returns the length of the header block at the start of b: up to
// and including the empty line that ends it (LF, then an optional CR, then
// LF, which is exactly where net/textproto stops), or -1 and the offset
// from which to resume the search once more bytes are appended to b. It is
// the one search for the end of a request head (server), a response head
// (client) and a chunked trailer (both).
func headEnd(b []byte, from int) (end, resume int) {
	for {
		i := bytes.IndexByte(b[from:], '\n')
		if i < 0 {
			return -1, len(b)
		}
		j := from + i
		switch {
		case j+1 >= len(b):
			return -1, j
		case b[j+1] == '\n':
			return j + 2, 0
		case b[j+1] == '\r':
			if j+2 >= len(b) {
				return -1, j
			}
			if b[j+2] == '\n' {
				return j + 3, 0
			}
		}
		from = j + 1
	}
}
