package websocket

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// cf builds a client frame (masked), sf a server frame (unmasked).
func cf(fin bool, op Opcode, payload string) []byte {
	return AppendFrame(nil, fin, op, 0, &testKey, []byte(payload))
}
func sf(fin bool, op Opcode, payload string) []byte {
	return AppendFrame(nil, fin, op, 0, nil, []byte(payload))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

type got struct {
	evs  []Event
	code uint16
}

// feed runs in through a Reader in chunks of size step (0: all at once).
func feed(r *Reader, in []byte, step int) got {
	var g got
	in = bytes.Clone(in)
	for len(in) > 0 {
		size := len(in)
		if step > 0 && size > step {
			size = step
		}
		chunk := in[:size]
		in = in[size:]
		for len(chunk) > 0 {
			n, ev, ok, err := r.Next(chunk)
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					g.code = pe.Code
				}
				return g
			}
			if n == 0 && !ok {
				panic("Reader made no progress")
			}
			chunk = chunk[n:]
			if ok {
				ev.Payload = append([]byte{}, ev.Payload...)
				g.evs = append(g.evs, ev)
			}
		}
	}
	return g
}

// feedAll is feed for every chunking, which must agree.
func feedAll(t *testing.T, mk func() *Reader, in []byte) got {
	t.Helper()
	want := feed(mk(), in, 0)
	for _, step := range []int{1, 2, 3, 7, 13} {
		g := feed(mk(), in, step)
		require.Equal(t, want, g, "chunks of %d", step)
	}
	return want
}

func TestReaderTable(t *testing.T) {
	big := string(bytes.Repeat([]byte("x"), 70000))
	tests := []struct {
		name string
		role Role
		in   []byte
		evs  []Event
		code uint16
		rsv1 bool
		max  int64
	}{
		{name: "text", in: cf(true, OpText, "hello"), evs: []Event{{Op: OpText, Payload: []byte("hello")}}},
		{name: "empty binary", in: cf(true, OpBinary, ""), evs: []Event{{Op: OpBinary, Payload: []byte{}}}},
		{name: "16-bit length", in: cf(true, OpBinary, big[:300]), evs: []Event{{Op: OpBinary, Payload: []byte(big[:300])}}},
		{name: "64-bit length", in: cf(true, OpBinary, big), evs: []Event{{Op: OpBinary, Payload: []byte(big)}}},
		{name: "client reads unmasked", role: RoleClient, in: sf(true, OpText, "hi"), evs: []Event{{Op: OpText, Payload: []byte("hi")}}},
		{name: "fragments with ping between", in: cat(cf(false, OpText, "he"), cf(true, OpPing, "p"), cf(false, OpContinuation, "l"), cf(true, OpContinuation, "lo")),
			evs: []Event{{Op: OpPing, Payload: []byte("p")}, {Op: OpText, Payload: []byte("hello")}}},
		{name: "close with code", in: cf(true, OpClose, "\x03\xe8bye"), evs: []Event{{Op: OpClose, Payload: []byte("\x03\xe8bye")}}},
		{name: "empty close", in: cf(true, OpClose, ""), evs: []Event{{Op: OpClose, Payload: []byte{}}}},
		{name: "utf8 split across fragments", in: cat(cf(false, OpText, "\xce"), cf(true, OpContinuation, "\xba")), evs: []Event{{Op: OpText, Payload: []byte("κ")}}},
		{name: "server rejects unmasked", in: sf(true, OpText, "x"), code: 1002},
		{name: "client rejects masked", role: RoleClient, in: cf(true, OpText, "x"), code: 1002},
		{name: "rsv2", in: AppendFrame(nil, true, OpText, 2, &testKey, nil), code: 1002},
		{name: "rsv1 not negotiated", in: AppendFrame(nil, true, OpText, 4, &testKey, nil), code: 1002},
		{name: "rsv1 negotiated", rsv1: true, in: AppendFrame(nil, true, OpBinary, 4, &testKey, []byte("z")), evs: []Event{{Op: OpBinary, Payload: []byte("z"), Compressed: true}}},
		{name: "rsv1 on continuation", rsv1: true, in: cat(cf(false, OpBinary, "a"), AppendFrame(nil, true, OpContinuation, 4, &testKey, nil)), code: 1002},
		{name: "rsv1 on ping", rsv1: true, in: AppendFrame(nil, true, OpPing, 4, &testKey, nil), code: 1002},
		{name: "reserved opcode 3", in: cf(true, 3, ""), code: 1002},
		{name: "reserved opcode 11", in: cf(true, 11, ""), code: 1002},
		{name: "fragmented ping", in: cf(false, OpPing, ""), code: 1002},
		{name: "long ping", in: cf(true, OpPing, big[:126]), code: 1002},
		{name: "lone continuation", in: cf(true, OpContinuation, "x"), code: 1002},
		{name: "text inside fragments", in: cat(cf(false, OpText, "a"), cf(true, OpText, "b")), code: 1002},
		{name: "bad utf8", in: cf(true, OpText, "\xff"), code: 1007},
		{name: "bad utf8 fails fast", in: cat(cf(false, OpText, "\xce\xba\xf4\x90"), cf(true, OpContinuation, "\x80\x80")), code: 1007},
		{name: "truncated utf8 at end", in: cf(true, OpText, "\xce"), code: 1007},
		{name: "surrogate", in: cf(true, OpText, "\xed\xa0\x80"), code: 1007},
		{name: "close 1 byte", in: cf(true, OpClose, "\x03"), code: 1002},
		{name: "close code 999", in: cf(true, OpClose, "\x03\xe7"), code: 1002},
		{name: "close code 1005", in: cf(true, OpClose, "\x03\xed"), code: 1002},
		{name: "close reason not utf8", in: cf(true, OpClose, "\x03\xe8\xff"), code: 1007},
		{name: "frame too big", max: 10, in: cf(true, OpBinary, big[:11]), code: 1009},
		{name: "message too big", max: 10, in: cat(cf(false, OpBinary, big[:6]), cf(true, OpContinuation, big[:6])), code: 1009},
		{name: "msb length", in: []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, code: 1002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mk := func() *Reader {
				return &Reader{Role: tt.role, AllowRSV1: tt.rsv1, MaxFrame: tt.max, MaxMessage: tt.max}
			}
			g := feedAll(t, mk, tt.in)
			assert.Equal(t, tt.code, g.code)
			if tt.code == 0 {
				assert.Equal(t, tt.evs, g.evs)
			}
		})
	}
}

func TestReaderStaysFailed(t *testing.T) {
	r := &Reader{}
	_, _, _, err := r.Next(sf(true, OpText, "x"))
	require.Error(t, err)
	_, _, _, err2 := r.Next(cf(true, OpText, "x"))
	assert.Equal(t, err, err2)
}

func TestMaskBytesPositions(t *testing.T) {
	src := []byte("the quick brown fox jumps over the lazy dog")
	want := bytes.Clone(src)
	for i := range want {
		want[i] ^= testKey[i&3]
	}
	for split := range len(src) {
		b := bytes.Clone(src)
		pos := MaskBytes(testKey, 0, b[:split])
		MaskBytes(testKey, pos, b[split:])
		require.Equal(t, want, b, "split at %d", split)
	}
}

func TestAppendClose(t *testing.T) {
	p := AppendClose(nil, 1000, string(bytes.Repeat([]byte("κ"), 100)))
	assert.LessOrEqual(t, len(p), 125)
	code, reason := ParseClose(p)
	assert.Equal(t, uint16(1000), code)
	assert.NoError(t, checkClose(p))
	assert.NotEmpty(t, reason)
	assert.Empty(t, AppendClose(nil, CloseNoStatus, "x"))
}

func TestUTF8Prefix(t *testing.T) {
	for _, tt := range []struct {
		in string
		n  int
		ok bool
	}{
		{"abc", 3, true}, {"a\xce", 1, true}, {"a\xf4\x8f", 1, true}, {"a\xf4\x90", 1, false},
		{"\xe0\x9f", 0, false}, {"\xed\xa0", 0, false}, {"\xc0", 0, false}, {"\xf0\x90\x80", 0, true}, {"\xff", 0, false},
	} {
		n, ok := utf8Prefix([]byte(tt.in))
		assert.Equal(t, tt.n, n, "%q", tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
	}
}
