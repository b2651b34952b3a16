package http

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkServerPipelinedHello measures the server's own cost per
// request: one connection sends batches of 64 pipelined hello-world GETs,
// so the syscalls are shared by 64 requests and what remains is parsing,
// the handler and the answer. Allocations are the server's (the client
// side allocates nothing per request).
func BenchmarkServerPipelinedHello(b *testing.B) {
	const batch = 64
	_, addr := serverStart(b, &Server{MaxPipelined: batch, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
		w.End()
	})})
	c, br := serverDial(b, addr)
	one := "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
	serverSend(b, c, one)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(b, err)
	var head bytes.Buffer
	require.NoError(b, resp.Write(&head))
	size := 0 // the answer's length on the wire: fixed (Date has a fixed width)
	{
		serverSend(b, c, one)
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		require.NoError(b, err)
		size = n
		require.True(b, bytes.HasSuffix(buf[:n], []byte("Hello, World!")))
	}
	reqs := []byte(strings.Repeat(one, batch))
	buf := make([]byte, size*batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		if _, err := c.Write(reqs); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
