package http

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// serverQuietLog keeps expected errors (refused requests, panics) out of
// the test output.
var serverQuietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// serverStart runs a reactor for the test with srv listening on loopback
// and returns the reactor and the address. The reactor is stopped, and its
// Run awaited within the watchdog, in t.Cleanup.
func serverStart(t testing.TB, srv *Server, opts ...reactor.Option) (*reactor.Reactor, string) {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger = serverQuietLog
	}
	r := startReactor(t, append([]reactor.Option{reactor.WithLogger(serverQuietLog)}, opts...)...)
	var addr string
	onLoop(t, r, func() {
		l, err := srv.Listen(r, "tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	return r, addr
}

// serverDial opens a raw connection with the watchdog as its deadline.
func serverDial(t testing.TB, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(testWatchdog)))
	return c, bufio.NewReader(c)
}

// serverSend writes s on c.
func serverSend(t testing.TB, c net.Conn, s string) {
	t.Helper()
	_, err := io.WriteString(c, s)
	require.NoError(t, err)
}

// serverRead reads one response (to a request with method) and its body.
func serverRead(t testing.TB, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// serverAssertClosed checks that the server closed the connection: the
// next read gets EOF (or a reset), not data.
func serverAssertClosed(t testing.TB, br *bufio.Reader) {
	t.Helper()
	b, err := br.ReadByte()
	require.Error(t, err, "expected the server to close, got byte %q", b)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection within the watchdog")
	}
}

// serverClient is a net/http client for the test, its idle connections
// closed in t.Cleanup.
func serverClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 100, ExpectContinueTimeout: 5 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: testWatchdog}
}

// serverGetBody does a GET with c and returns the response and its body.
func serverGetBody(t testing.TB, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// serverEcho answers with the method, the path and the body.
var serverEcho = HandlerFunc(func(w *Response, req *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(req.Method + " " + req.URL.Path + " " + string(RequestBody(req))))
	w.End()
})

func serverRequest(method, path, extra string) string {
	return method + " " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n"
}

// closeWrite sends FIN on c.
func closeWrite(t testing.TB, c net.Conn) {
	t.Helper()
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
}
