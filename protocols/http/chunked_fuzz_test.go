package http

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
)

// chunkedErrors are the decoder's errors, each one a distinct outcome.
var chunkedErrors = []error{
	errChunkedLine, errChunkedBareLF, errChunkedCR, errChunkedSize, errChunkedSizeTooLarge,
	errChunkedCRLF, errChunkedExcess, errChunkedTrailer, errChunkedTrailerTooLarge,
}

// FuzzChunkedDecoder checks the shared chunked decoder on any bytes cut
// anywhere:
//   - it never panics, makes progress on every call and hands out body
//     runs that are the input's own bytes (chunkedDecodeAll checks);
//   - the cuts change nothing: same body, trailer, bytes consumed, or the
//     same error;
//   - whatever it accepts, net/http reads alike from the same bytes as a
//     request's chunked body: same body, same trailer, same end.
//
// The seeds (the table tests' inputs) run in every go test;
// `go test -fuzz FuzzChunkedDecoder ./protocols/http` explores.
func FuzzChunkedDecoder(f *testing.F) {
	for _, tc := range chunkedGood {
		f.Add([]byte(tc.in), []byte{3, 1})
	}
	for _, tc := range chunkedBad {
		f.Add([]byte(tc.in), []byte{7})
	}
	f.Add([]byte("3\r\nabc\r\n0\r\nA: b\r\n c\r\n\r\n"), []byte{1, 2, 3})
	f.Add([]byte("1\r\nx\r\n0\r\n\r\n\r\n"), []byte{})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if len(data) > 16<<10 {
			return
		}
		const maxTrailer = 1 << 20
		whole, err := chunkedDecodeAll(maxTrailer, [][]byte{data})
		if err != nil {
			t.Fatalf("whole %q: %v", data, err)
		}
		cut, err := chunkedDecodeAll(maxTrailer, cutPieces(data, cuts))
		if err != nil {
			t.Fatalf("cut %v of %q: %v", cuts, data, err)
		}
		for _, e := range chunkedErrors {
			if errors.Is(whole.err, e) != errors.Is(cut.err, e) {
				t.Fatalf("cuts %v changed the error on %q: whole %v, cut %v", cuts, data, whole.err, cut.err)
			}
		}
		if (whole.err == nil) != (cut.err == nil) || whole.done != cut.done {
			t.Fatalf("cuts %v changed the outcome on %q: whole %+v, cut %+v", cuts, data, whole, cut)
		}
		if whole.err != nil || !whole.done {
			return
		}
		if whole.body != cut.body || whole.consumed != cut.consumed || !reflect.DeepEqual(whole.trailer, cut.trailer) {
			t.Fatalf("cuts %v changed the result on %q: whole %+v, cut %+v", cuts, data, whole, cut)
		}
		chunkedCompareWithNetHTTP(t, data, whole)
	})
}

// chunkedCompareWithNetHTTP reads data as the chunked body of a request
// with net/http and checks that it agrees with what we decoded.
func chunkedCompareWithNetHTTP(t *testing.T, data []byte, ours chunkedDecoded) {
	head := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	stream := append([]byte(head), data...)
	br := bufio.NewReaderSize(bytes.NewReader(stream), len(stream)+16)
	req, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("net/http refused the head: %v", err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatalf("we decoded %+v from %q; net/http: %v", ours, data, err)
	}
	if string(body) != ours.body {
		t.Fatalf("on %q: we decoded body %q, net/http %q", data, ours.body, body)
	}
	if len(req.Trailer) != len(ours.trailer) || (len(req.Trailer) > 0 && !reflect.DeepEqual(req.Trailer, ours.trailer)) {
		t.Fatalf("on %q: we decoded trailer %v, net/http %v", data, ours.trailer, req.Trailer)
	}
	if left := len(data) - ours.consumed; br.Buffered() != left {
		t.Fatalf("on %q: we left %d bytes after the body, net/http %d", data, left, br.Buffered())
	}
}
