package http

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The server is compared with net/http byte for byte: the same raw bytes go
// to both on a raw TCP connection, followed by a probe request that asks to
// close, and the answers are compared. Where net/http falls short of RFC
// 9110/9112 the test names the RFC and says what evmachine answers instead.

// wireProbe follows every case: if a connection survives the case, the
// probe is answered and then the server closes.
const wireProbe = "GET /probe HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"

// wireDescribe is what both servers' handlers answer: enough to see how a
// request was framed (a smuggled request shows up as an extra answer).
func wireDescribe(req *http.Request, body []byte, err error) string {
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fmt.Sprintf("%s %s body=%q headers=%v", req.Method, req.URL.Path, body, keys)
	if err != nil {
		s += " err"
	}
	return s
}

// wireServers starts an evmachine Server and a net/http server with the
// same handler and returns their addresses.
func wireServers(t *testing.T) (evm, std string) {
	_, evm = serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte(wireDescribe(req, RequestBody(req), nil)))
		w.End()
	})})
	std = httptestServer(t, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		w.Write([]byte(wireDescribe(req, body, err)))
	})})
	return evm, std
}

// wireExchange sends raw and the probe on a new connection to addr and
// returns each answer as "STATUS" (plus the body for a 2xx), and "closed"
// if the connection ended before the probe was answered.
func wireExchange(t *testing.T, addr, raw string) []string {
	return wireSend(t, addr, raw+wireProbe, false)
}

// wireHalfClose sends raw, then FIN, and returns the answers as
// wireExchange does, ending with "closed".
func wireHalfClose(t *testing.T, addr, raw string) []string {
	return wireSend(t, addr, raw, true)
}

func wireSend(t *testing.T, addr, raw string, halfClose bool) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(testWatchdog)))
	_, err = io.WriteString(c, raw)
	require.NoError(t, err)
	if halfClose {
		closeWrite(t, c)
	}
	br := bufio.NewReader(c)
	var out []string
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "watchdog: the server at %s neither answered nor closed", addr)
			return append(out, "closed")
		}
		body, _ := io.ReadAll(resp.Body)
		a := fmt.Sprint(resp.StatusCode)
		if resp.StatusCode < 300 {
			a += " " + string(body)
		}
		out = append(out, a)
		if strings.Contains(string(body), "/probe") {
			return out
		}
	}
}

func TestServerWireAgainstNetHTTP(t *testing.T) {
	evm, std := wireServers(t)
	post := "POST / HTTP/1.1\r\nHost: a\r\n"
	// net/http calls the handler before the body is read, and the handler
	// decides what a body error means (this one answers 200 regardless);
	// evmachine reads the body first and refuses a malformed one.
	const bodyFirst = "a malformed chunked body is answered 400"
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n" // 0x23 bytes
	cases := []struct {
		name string
		raw  string
		// want, when set, is what evmachine must answer instead of what
		// net/http answers; why says which RFC rule makes the difference.
		want []string
		why  string
		// refHangs: net/http waits for the bytes announced (2^64 here),
		// so it is not asked.
		refHangs bool
	}{
		// Request smuggling through odd header names (RFC 9112 5.1: no
		// whitespace between a field name and the colon; a name is a token).
		{name: "space before colon in Content-Length", raw: post + "Content-Length : 35\r\n\r\n" + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "space before colon in Transfer-Encoding", raw: post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "space inside a header name", raw: post + "Transfer Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{name: "tab before colon", raw: post + "Content-Length\t: 5\r\n\r\nhello"},
		{name: "non-token header name", raw: "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n"},
		{name: "control byte in a header value", raw: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n"},
		{name: "two Host headers", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		// CL.TE and TE.CL: both framings present (RFC 9112 6.1: the
		// request is framed by Transfer-Encoding, and the server MUST close
		// the connection after answering; net/http keeps it open).
		{
			name: "CL.TE", raw: post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
			want: []string{"200 POST / body=\"\" headers=[]", "closed"}, why: "RFC 9112 6.1: close after answering",
		},
		{
			name: "TE.CL", raw: post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n23\r\n" + smuggled + "\r\n0\r\n\r\n",
			want: []string{"200 POST / body=" + fmt.Sprintf("%q", smuggled) + " headers=[]", "closed"}, why: "RFC 9112 6.1: close after answering",
		},
		{
			name: "TE.CL well formed", raw: post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nx\r\n0\r\n\r\n",
			want: []string{"200 POST / body=\"x\" headers=[]", "closed"}, why: "RFC 9112 6.1: close after answering",
		},
		// TE.TE: obfuscated Transfer-Encoding values.
		{name: "TE chunked, identity", raw: post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"},
		{name: "TE identity, chunked", raw: post + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n"},
		{name: "two TE headers", raw: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{name: "TE xchunked", raw: post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
		{name: "TE with a vertical tab", raw: post + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n"},
		{name: "TE upper case", raw: post + "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n"},
		{
			name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: []string{"400", "closed"}, why: "RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing (net/http ignores it and reads the chunks as a request)",
		},
		// Content-Length variants.
		{name: "two different Content-Lengths", raw: post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
		{name: "two equal Content-Lengths", raw: post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
		{name: "Content-Length list", raw: post + "Content-Length: 5, 5\r\n\r\nhello"},
		{name: "signed Content-Length", raw: post + "Content-Length: +5\r\n\r\nhello"},
		{name: "huge Content-Length", raw: post + "Content-Length: 99999999999999999999\r\n\r\n"},
		// Line framing.
		{name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"},
		{name: "bare LF", raw: "GET / HTTP/1.1\nHost: a\n\n"},
		{name: "bare CR", raw: "GET / HTTP/1.1\rHost: a\r\n\r\n"},
		{
			name: "chunk size of 18 hex digits", raw: post + "Transfer-Encoding: chunked\r\n\r\n000000000000000001\r\nx\r\n0\r\n\r\n",
			want: []string{"400", "closed"}, why: "net/http answers 200 with a truncated body and closes; the body is malformed (400)",
		},
		{
			name: "chunk size with a leading space", raw: post + "Transfer-Encoding: chunked\r\n\r\n 1\r\nx\r\n0\r\n\r\n",
			want: []string{"400", "closed"}, why: bodyFirst,
		},
		{
			name: "chunk size overflowing int64", raw: post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n",
			want: []string{"400", "closed"}, why: "a chunk size past 2^60 is refused", refHangs: true,
		},
		{
			name: "bare LF after chunk size", raw: post + "Transfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n",
			want: []string{"400", "closed"}, why: bodyFirst,
		},
		// Leading empty lines (RFC 9112 2.2: ignore at least one).
		{
			name: "one empty line before the request", raw: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
			want: []string{"200 GET / body=\"\" headers=[]", "200 GET /probe body=\"\" headers=[Connection]"},
			why:  "RFC 9112 2.2: a server SHOULD ignore at least one empty line before a request; net/http does only after a POST",
		},
		{
			name: "two empty lines before the request", raw: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
			want: []string{"200 GET / body=\"\" headers=[]", "200 GET /probe body=\"\" headers=[Connection]"},
			why:  "RFC 9112 2.2, bounded as net/http bounds it (4 bytes)",
		},
		{name: "many empty lines before the request", raw: strings.Repeat("\r\n", 3) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "empty lines after a POST", raw: post + "Content-Length: 1\r\n\r\nx\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		// Request lines.
		{name: "tab in the request line", raw: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: a\r\n\r\n"},
		{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: a\r\n\r\n"},
		{name: "absolute form", raw: "GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n"},
		{name: "no Host", raw: "GET / HTTP/1.1\r\n\r\n"},
		{name: "bad Host", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := wireExchange(t, evm, tc.raw)
			if tc.refHangs {
				assert.Equal(t, tc.want, got, tc.why)
				return
			}
			ref := wireExchange(t, std, tc.raw)
			if tc.want == nil {
				assert.Equal(t, ref, got, "evmachine should answer as net/http")
				return
			}
			assert.Equal(t, tc.want, got, "%s (net/http answers %q)", tc.why, ref)
		})
	}
}

// A connection that never sends a byte is closed at ReadHeaderTimeout, not
// at IdleTimeout, without an answer: as net/http.
func TestServerSilentConnectionAgainstNetHTTP(t *testing.T) {
	const headTimeout = 300 * time.Millisecond
	_, evm := serverStart(t, &Server{Handler: serverEcho, ReadHeaderTimeout: headTimeout, IdleTimeout: time.Hour})
	std := httptestServer(t, &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: headTimeout, IdleTimeout: time.Hour})
	for name, addr := range map[string]string{"evmachine": evm, "net/http": std} {
		c, br := serverDial(t, addr) // the watchdog (20 s) is far below the idle hour
		start := time.Now()
		serverAssertClosed(t, br)
		assert.GreaterOrEqual(t, time.Since(start), headTimeout-50*time.Millisecond, name)
		c.Close()
	}
}

func TestServerSilentConnectionDeadline(t *testing.T) {
	r, clk, addr := serverFakeStart(t, &Server{Handler: serverEcho, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute})
	_, br := serverDial(t, addr)
	serverWaitConns(t, r, 1)
	serverAdvance(t, r, clk, 10*time.Second-time.Millisecond)
	onLoop(t, r, func() { assert.Equal(t, 1, r.ConnectionCount(), "not yet") })
	serverAdvance(t, r, clk, time.Millisecond)
	serverAssertClosed(t, br)
}

// After the first request, the wait for the next one is IdleTimeout.
func TestServerKeptAliveConnectionUsesIdleTimeout(t *testing.T) {
	r, clk, addr := serverFakeStart(t, &Server{Handler: serverEcho, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	serverRead(t, br, "GET")
	serverAdvance(t, r, clk, 30*time.Second)
	onLoop(t, r, func() { assert.Equal(t, 1, r.ConnectionCount(), "idle, within IdleTimeout") })
	serverAdvance(t, r, clk, 30*time.Second)
	serverAssertClosed(t, br)
}

// HEAD gets the Content-Type that GET's body would be sniffed as, as from
// net/http.
func TestServerHeadSniffsContentTypeAsNetHTTP(t *testing.T) {
	const page = "<!DOCTYPE html><html><body>hi</body></html>"
	_, evm := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte(page))
		w.End()
	})})
	std := httptestServer(t, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.Write([]byte(page)) })})
	for _, method := range []string{"GET", "HEAD"} {
		var types, lengths []string
		for _, addr := range []string{evm, std} {
			c, br := serverDial(t, addr)
			serverSend(t, c, serverRequest(method, "/", ""))
			resp, _ := serverRead(t, br, method)
			types = append(types, resp.Header.Get("Content-Type"))
			lengths = append(lengths, resp.Header.Get("Content-Length"))
		}
		assert.Equal(t, types[1], types[0], method)
		assert.Equal(t, "text/html; charset=utf-8", types[0], method)
		assert.Equal(t, lengths[1], lengths[0], method)
	}
}

// httptestServer runs srv on loopback for the test and returns its
// address.
func httptestServer(t *testing.T, srv *http.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
