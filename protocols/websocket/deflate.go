package websocket

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// deflate is a connection's permessage-deflate state (RFC 7692), with the
// standard library's compress/flate. With context takeover a direction
// keeps its compressor or its last 32 KiB window between messages;
// without, a compressor comes from a pool per message.
type deflate struct {
	sendTakeover, recvTakeover bool

	fw   *flate.Writer
	wbuf bytes.Buffer

	fr   io.ReadCloser
	src  bytes.Reader
	in   []byte
	dict []byte // the last window of inflated output (context takeover)
	out  []byte
}

// flateTail ends a message's compressed stream for the inflater: the
// sync-flush marker the sender stripped, then an empty final stored block
// so that the reader sees a clean end of stream.
var flateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

const flateWindow = 32 << 10

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// deflate compresses one message; the result is valid until the next call.
func (d *deflate) deflate(msg []byte) []byte {
	d.wbuf.Reset()
	if d.fw == nil {
		d.fw = flateWriters.Get().(*flate.Writer)
		d.fw.Reset(&d.wbuf)
	}
	d.fw.Write(msg)
	d.fw.Flush()
	if !d.sendTakeover {
		flateWriters.Put(d.fw)
		d.fw = nil
	}
	b := d.wbuf.Bytes()
	return bytes.TrimSuffix(b, flateTail[:4])
}

// inflate decompresses one message, reading at most limit bytes of output:
// a message that inflates beyond it fails with 1009 after limit bytes, not
// after all of them (a decompression bomb costs limit bytes of memory).
func (d *deflate) inflate(p []byte, limit int64, text bool) ([]byte, error) {
	d.in = append(append(d.in[:0], p...), flateTail...) // p may lie in the read buffer: no append to it
	d.src.Reset(d.in)
	if d.fr == nil {
		d.fr = flate.NewReader(&d.src)
	}
	var dict []byte
	if d.recvTakeover {
		dict = d.dict
	}
	d.fr.(flate.Resetter).Reset(&d.src, dict)
	out := d.out[:0]
	for {
		if len(out) == cap(out) {
			out = append(out, make([]byte, min(max(4096, len(out)), int(limit+1)-len(out)))...)[:len(out)]
		}
		room := cap(out) - len(out)
		if int64(len(out)+room) > limit+1 {
			room = int(limit + 1 - int64(len(out)))
		}
		n, err := d.fr.Read(out[len(out) : len(out)+room])
		out = out[:len(out)+n]
		if int64(len(out)) > limit {
			return nil, protoErr(CloseTooBig, "message inflates beyond the limit of %d bytes", limit)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, protoErr(CloseInvalidPayload, "invalid compressed data: %v", err)
		}
	}
	d.out = out
	if cap(out) > scratchMax {
		d.out = nil
	}
	if cap(d.in) > scratchMax {
		d.in = nil
	}
	if text && !utf8.Valid(out) {
		return nil, protoErr(CloseInvalidPayload, "text message is not valid UTF-8")
	}
	if d.recvTakeover {
		d.keepWindow(out)
	}
	return out, nil
}

// keepWindow keeps the last 32 KiB of output as the next message's
// dictionary.
func (d *deflate) keepWindow(out []byte) {
	if len(out) >= flateWindow {
		d.dict = append(d.dict[:0], out[len(out)-flateWindow:]...)
		return
	}
	if over := len(d.dict) + len(out) - flateWindow; over > 0 {
		d.dict = append(d.dict[:0], d.dict[over:]...)
	}
	d.dict = append(d.dict, out...)
}

// release gives the compressor back when the connection ends.
func (d *deflate) release() {
	if d.fw != nil {
		d.fw.Reset(nil)
		flateWriters.Put(d.fw)
		d.fw = nil
	}
	d.dict, d.out, d.in, d.fr = nil, nil, nil, nil
}
