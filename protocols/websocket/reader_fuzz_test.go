package websocket

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzReader feeds arbitrary bytes to a Reader whole and in chunks: both
// must agree, errors carry a close code of the RFC, and what is delivered
// respects the limits and the UTF-8 rule.
func FuzzReader(f *testing.F) {
	f.Add(cat(cf(false, OpText, "he"), cf(true, OpPing, "p"), cf(true, OpContinuation, "llo")), uint8(3), false, false)
	f.Add(sf(true, OpBinary, "abc"), uint8(1), true, false)
	f.Add(AppendFrame(nil, true, OpBinary, 4, &testKey, []byte("z")), uint8(5), false, true)
	f.Add(cf(true, OpClose, "\x03\xe8bye"), uint8(2), false, false)
	f.Fuzz(func(t *testing.T, in []byte, step uint8, client, rsv1 bool) {
		role := RoleServer
		if client {
			role = RoleClient
		}
		mk := func() *Reader { return &Reader{Role: role, AllowRSV1: rsv1, MaxFrame: 1 << 12, MaxMessage: 1 << 13} }
		whole := feed(mk(), in, 0)
		split := feed(mk(), in, int(step%16)+1)
		require.Equal(t, whole, split)
		switch whole.code {
		case 0, CloseProtocolError, CloseInvalidPayload, CloseTooBig:
		default:
			t.Fatalf("close code %d", whole.code)
		}
		for _, ev := range whole.evs {
			require.LessOrEqual(t, len(ev.Payload), 1<<13)
			if ev.Op == OpText && !ev.Compressed {
				require.True(t, utf8.Valid(ev.Payload))
			}
			if ev.Op.IsControl() {
				require.LessOrEqual(t, len(ev.Payload), 125)
			}
		}
	})
}

// FuzzFrameRoundTrip checks that what AppendFrame writes parses back.
func FuzzFrameRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), true, uint8(2), true)
	f.Add(bytes.Repeat([]byte{1}, 70000), false, uint8(2), false)
	f.Fuzz(func(t *testing.T, payload []byte, fin bool, op uint8, masked bool) {
		o := Opcode(op & 0xF)
		var key *[4]byte
		if masked {
			key = &testKey
		}
		b := AppendFrame(nil, fin, o, 0, key, payload)
		h, n, err := ParseHeader(b)
		require.NoError(t, err)
		require.NotZero(t, n)
		require.Equal(t, Header{Fin: fin, Op: o, Masked: masked, Mask: maskOf(key), Length: int64(len(payload))}, h)
		body := bytes.Clone(b[n:])
		if masked {
			MaskBytes(h.Mask, 0, body)
		}
		require.Equal(t, payload, append([]byte{}, body...)[:len(payload)])
		require.Len(t, body, len(payload))
	})
}

func maskOf(k *[4]byte) [4]byte {
	if k == nil {
		return [4]byte{}
	}
	return *k
}
