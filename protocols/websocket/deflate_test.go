package websocket

import (
	"bytes"
	"compress/flate"
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compressRaw is a sender's permessage-deflate payload, made with
// compress/flate directly.
func compressRaw(t testing.TB, msg []byte) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	require.NoError(t, err)
	w.Write(msg)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func TestDeflateRoundTripAndTakeover(t *testing.T) {
	for _, takeover := range []bool{true, false} {
		tx := &deflate{sendTakeover: takeover}
		rx := &deflate{recvTakeover: takeover}
		for i := range 20 {
			msg := bytes.Repeat([]byte("evmachine websocket deflate "), 10+i)
			z := append([]byte{}, tx.deflate(msg)...)
			out, err := rx.inflate(z, 1<<20, true)
			require.NoError(t, err, "message %d", i)
			require.Equal(t, msg, out)
			fresh := len((&deflate{}).deflate(msg))
			if takeover && i > 0 {
				assert.Less(t, len(z), fresh, "context takeover compresses a repeated message better")
			} else {
				assert.Equal(t, fresh, len(z))
			}
		}
	}
}

func TestDeflateBombIsBounded(t *testing.T) {
	bomb := compressRaw(t, make([]byte, 64<<20)) // 64 MiB of zeros, a few hundred KiB compressed
	rx := &deflate{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := rx.inflate(bomb, 1<<20, false)
	runtime.ReadMemStats(&after)
	var pe *ProtocolError
	require.True(t, errors.As(err, &pe), "err %v", err)
	assert.Equal(t, uint16(CloseTooBig), pe.Code)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<20), "inflating a 64 MiB bomb with a 1 MiB limit allocated %d bytes", allocated)
}

func TestDeflateBombOverTheWire(t *testing.T) {
	cfg := agentConfig(true)
	cfg.MaxMessage = 1 << 20
	_, addr := listenEcho(t, cfg)
	p := serverPeer(t, addr, "permessage-deflate")
	require.NotNil(t, p.pmd)
	p.send(p.frame(true, OpBinary, 4, compressRaw(t, make([]byte, 64<<20))), 0)
	assert.Equal(t, verdictOK, p.expectFail(nil, CloseTooBig))
}

func TestDeflateCorruptData(t *testing.T) {
	_, err := (&deflate{}).inflate([]byte{0xff, 0xff, 0xff}, 1<<20, false)
	var pe *ProtocolError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, uint16(CloseInvalidPayload), pe.Code)
	_, err = (&deflate{}).inflate(compressRaw(t, []byte("\xff\xfe")), 1<<20, true)
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, uint16(CloseInvalidPayload), pe.Code)
}

func TestDeflateNegotiation(t *testing.T) {
	h := func(v ...string) http.Header { return http.Header{"Sec-Websocket-Extensions": v} }
	for _, tc := range []struct {
		offer      []string
		answer     string
		send, recv bool
	}{
		{[]string{"permessage-deflate"}, "permessage-deflate", true, true},
		{[]string{"permessage-deflate; client_max_window_bits"}, "permessage-deflate", true, true},
		{[]string{"permessage-deflate; server_no_context_takeover"}, "permessage-deflate; server_no_context_takeover", false, true},
		{[]string{"permessage-deflate; client_no_context_takeover"}, "permessage-deflate; client_no_context_takeover", true, false},
		{[]string{"permessage-deflate; server_max_window_bits=10, permessage-deflate"}, "permessage-deflate", true, true},
		{[]string{"permessage-deflate; server_max_window_bits=10"}, "", false, false},
		{[]string{"permessage-deflate; unknown=1"}, "", false, false},
		{[]string{"x-webkit-deflate-frame"}, "", false, false},
	} {
		answer, d := acceptDeflate(h(tc.offer...), false)
		assert.Equal(t, tc.answer, answer, "%v", tc.offer)
		if tc.answer != "" {
			require.NotNil(t, d)
			assert.Equal(t, tc.send, d.sendTakeover, "%v", tc.offer)
			assert.Equal(t, tc.recv, d.recvTakeover, "%v", tc.offer)
		}
	}
	d, ok := clientDeflate(h("permessage-deflate; client_max_window_bits=10"), true, false)
	assert.False(t, ok, "a client window below 15 bits cannot be honoured")
	assert.Nil(t, d)
	_, ok = clientDeflate(h("permessage-deflate"), false, false)
	assert.False(t, ok, "an extension the client did not offer")
	d, ok = clientDeflate(h("permessage-deflate; server_no_context_takeover"), true, false)
	require.True(t, ok)
	assert.False(t, d.recvTakeover)
	assert.True(t, d.sendTakeover)
}
