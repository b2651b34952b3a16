package websocket

import (
	"bytes"
	"testing"
)

// BenchmarkReaderSmall parses 64-byte masked messages, many per read.
func BenchmarkReaderSmall(b *testing.B) {
	frame := cf(true, OpBinary, string(bytes.Repeat([]byte("x"), 64)))
	buf := bytes.Repeat(frame, 256)
	work := make([]byte, len(buf))
	r := &Reader{}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, buf)
		data := work
		for len(data) > 0 {
			n, _, _, err := r.Next(data)
			if err != nil {
				b.Fatal(err)
			}
			data = data[n:]
		}
	}
}

// BenchmarkReaderText parses a 64 KiB text message in 1 KiB reads (UTF-8
// validated as it arrives).
func BenchmarkReaderText(b *testing.B) {
	frame := cf(true, OpText, string(bytes.Repeat([]byte("héllo wörld "), 5000)))
	work := make([]byte, len(frame))
	r := &Reader{}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, frame)
		for data := work; len(data) > 0; {
			chunk := data[:min(1024, len(data))]
			n, _, _, err := r.Next(chunk)
			if err != nil {
				b.Fatal(err)
			}
			data = data[n:]
		}
	}
}

// BenchmarkAppendFrameMasked encodes a masked 64-byte frame (a client's).
func BenchmarkAppendFrameMasked(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 64)
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendFrame(dst[:0], true, OpBinary, 0, &testKey, payload)
	}
}
