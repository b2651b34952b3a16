package websocket

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDeflateNegotiation: any Sec-WebSocket-Extensions offer is accepted
// or declined without a panic, and what the server answers is an answer a
// client that offered accepts with the same takeover settings.
func FuzzDeflateNegotiation(f *testing.F) {
	f.Add("permessage-deflate; client_max_window_bits")
	f.Add("permessage-deflate; server_max_window_bits=10, permessage-deflate; server_no_context_takeover")
	f.Add(`permessage-deflate; client_max_window_bits="12"; client_no_context_takeover`)
	f.Fuzz(func(t *testing.T, offer string) {
		answer, d := acceptDeflate(http.Header{"Sec-Websocket-Extensions": {offer}}, false)
		if d == nil {
			require.Empty(t, answer)
			return
		}
		cd, ok := clientDeflate(http.Header{"Sec-Websocket-Extensions": {answer}}, true, false)
		require.True(t, ok, "answer %q", answer)
		require.Equal(t, d.sendTakeover, cd.recvTakeover)
		require.Equal(t, d.recvTakeover, cd.sendTakeover)
	})
}

// FuzzInflate: arbitrary compressed input never yields more than the
// limit, and either inflates or fails with 1007/1009.
func FuzzInflate(f *testing.F) {
	f.Add((&deflate{}).deflate([]byte("hello hello hello")), true)
	f.Add([]byte{0xf2, 0x48, 0xcd}, false)
	f.Fuzz(func(t *testing.T, in []byte, takeover bool) {
		d := &deflate{recvTakeover: takeover}
		for range 2 {
			out, err := d.inflate(in, 4096, false)
			if err != nil {
				pe, ok := err.(*ProtocolError)
				require.True(t, ok, "%v", err)
				require.Contains(t, []uint16{CloseInvalidPayload, CloseTooBig}, pe.Code)
				return
			}
			require.LessOrEqual(t, len(out), 4096)
		}
	})
}
