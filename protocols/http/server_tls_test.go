package http

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// serverTLSEcho answers with what the request said about its TLS and URL
// in headers, and echoes a POST body (GET: the method and path).
var serverTLSEcho = HandlerFunc(func(w *Response, req *http.Request) {
	h := w.Header()
	h.Set("X-TLS", serverTLSSummary(req.TLS))
	h.Set("X-Scheme", req.URL.Scheme)
	h.Set("X-Host", req.Host)
	h.Set("X-Remote", req.RemoteAddr)
	if body := RequestBody(req); body != nil {
		w.Write(body)
	} else {
		fmt.Fprintf(w, "%s %s %s", req.Method, req.URL.Path, serverTLSSummary(req.TLS))
	}
	w.End()
})

// serverTLSSummary is "version alpn sni" of st, or "none".
func serverTLSSummary(st *tls.ConnectionState) string {
	if st == nil {
		return "none"
	}
	return fmt.Sprintf("%s %s %s", tls.VersionName(st.Version), st.NegotiatedProtocol, st.ServerName)
}

// serverStartTLS runs srv with ListenTLS(cfg) on loopback, as serverStart.
func serverStartTLS(t testing.TB, srv *Server, cfg *tls.Config) (*reactor.Reactor, string) {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger = serverQuietLog
	}
	r := startReactor(t, reactor.WithLogger(serverQuietLog))
	var addr string
	onLoop(t, r, func() {
		l, err := srv.ListenTLS(r, "tcp", "127.0.0.1:0", cfg)
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	return r, addr
}

// serverTLSClient is a net/http client that trusts pki's CA, offers
// http/1.1 with ALPN and dials addr whatever the URL's host (so that
// https://loop.test:port/ reaches the test server).
func serverTLSClient(t testing.TB, pki *nettest.PKI, addr string) *http.Client {
	cfg := pki.ClientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	tr := &http.Transport{
		TLSClientConfig: cfg,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: testWatchdog}
}

// net/http's client talks to the evented HTTPS server: GET and POST (a
// 1 MiB body each way), all on one kept-alive TLS connection; the handler
// sees req.TLS with TLS 1.3, ALPN "http/1.1" and the SNI name, and
// req.URL.Scheme empty and req.Host from the request, as net/http's server
// gives them.
func TestServerTLSWithNetHTTPClient(t *testing.T) {
	pki := nettest.NewPKI(t)
	cfg, handshakes := tlsCountHandshakes(pki.ServerConfig(t, false))
	_, addr := serverStartTLS(t, &Server{Handler: serverTLSEcho}, cfg)
	_, port, _ := net.SplitHostPort(addr)
	base := "https://" + tlsTestHost + ":" + port
	hc := serverTLSClient(t, pki, addr)

	resp, body := serverGetBody(t, hc, base+"/hello")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "GET /hello TLS 1.3 http/1.1 loop.test", body)
	assert.Equal(t, "", resp.Header.Get("X-Scheme"), "URL.Scheme stays empty, as net/http's server leaves it")
	assert.Equal(t, tlsTestHost+":"+port, resp.Header.Get("X-Host"))
	require.NotNil(t, resp.TLS)
	assert.Equal(t, "http/1.1", resp.TLS.NegotiatedProtocol)
	remote := resp.Header.Get("X-Remote")

	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: many records each way
	for i := range 3 {
		resp, err := hc.Post(base+"/upload", "application/octet-stream", bytes.NewReader(big))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, sha256.Sum256(big), sha256.Sum256(got), "POST %d echoed intact (%d bytes)", i, len(got))
		assert.Equal(t, "TLS 1.3 http/1.1 loop.test", resp.Header.Get("X-TLS"))
		assert.Equal(t, remote, resp.Header.Get("X-Remote"), "POST %d on the kept-alive connection", i)
	}
	_, body = serverGetBody(t, hc, base+"/again")
	assert.Equal(t, "GET /again TLS 1.3 http/1.1 loop.test", body)
	assert.Equal(t, int64(1), handshakes.Load(), "five requests, one TLS connection")
}

// curl, the client users run, fetches from the evented HTTPS server with
// the test CA as its only trust (--cacert) and host verification on: two
// URLs in one run reuse one connection, a POST body is echoed, and ALPN
// settles on http/1.1 although curl offers h2 first.
func TestServerTLSWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: skipping the HTTPS test against curl")
	}
	pki := nettest.NewPKI(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pki.CAPEM, 0o600))
	bodyFile := filepath.Join(dir, "body")
	body := strings.Repeat("curl body ", 20000)
	require.NoError(t, os.WriteFile(bodyFile, []byte(body), 0o600))

	cfg, handshakes := tlsCountHandshakes(pki.ServerConfig(t, true))
	_, addr := serverStartTLS(t, &Server{Handler: serverTLSEcho}, cfg)
	_, port, _ := net.SplitHostPort(addr)
	base := "https://" + tlsTestHost + ":" + port
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), testWatchdog)
		defer cancel()
		args = append([]string{"-sS", "--cacert", caFile, "--resolve", tlsTestHost + ":" + port + ":127.0.0.1"}, args...)
		out, err := exec.CommandContext(ctx, curl, args...).CombinedOutput()
		require.NoError(t, err, "curl %s: %s", strings.Join(args, " "), out)
		return string(out)
	}

	out := run(base+"/one", base+"/two")
	assert.Equal(t, "GET /one TLS 1.3 http/1.1 loop.test"+"GET /two TLS 1.3 http/1.1 loop.test", out)
	assert.Equal(t, int64(1), handshakes.Load(), "curl reused its TLS connection for the second URL")

	out = run("--data-binary", "@"+bodyFile, base+"/post")
	assert.Equal(t, body, out)

	// By IP address: the certificate's IP SAN is verified.
	out = run("https://127.0.0.1:" + port + "/ip")
	assert.Equal(t, "GET /ip TLS 1.3 http/1.1 ", out, "no SNI for an IP address")
}

// ListenTLS clones its config (the caller's is not changed), adds
// http/1.1 to the protocols already offered, and refuses a config it
// cannot serve with. A client that offers no ALPN is served too; a
// Server listening with reactor.WithTLS directly also sets req.TLS.
func TestServerListenTLSConfig(t *testing.T) {
	pki := nettest.NewPKI(t)
	r := startReactor(t, reactor.WithLogger(serverQuietLog))
	srv := &Server{Handler: serverTLSEcho, Logger: serverQuietLog}
	cfg := pki.ServerConfig(t, true)
	cfg.NextProtos = []string{"acme-tls/1"}
	var viaListenTLS, viaWithTLS string
	onLoop(t, r, func() {
		_, err := srv.ListenTLS(r, "tcp", "127.0.0.1:0", nil)
		assert.ErrorContains(t, err, "nil tls.Config")
		_, err = srv.ListenTLS(r, "tcp", "127.0.0.1:0", &tls.Config{})
		assert.ErrorContains(t, err, "without a certificate")

		l, err := srv.ListenTLS(r, "tcp", "127.0.0.1:0", cfg)
		require.NoError(t, err)
		viaListenTLS = l.Addr().String()
		l, err = srv.Listen(r, "tcp", "127.0.0.1:0", reactor.WithTLS(pki.ServerConfig(t, true)))
		require.NoError(t, err)
		viaWithTLS = l.Addr().String()
	})
	assert.Equal(t, []string{"acme-tls/1"}, cfg.NextProtos, "the caller's config is left alone")

	for _, tc := range []struct {
		name, addr string
		offer      []string
		want       string
	}{
		{"http/1.1 appended", viaListenTLS, []string{"h2", "http/1.1"}, "http/1.1"},
		{"the caller's protocol kept", viaListenTLS, []string{"acme-tls/1"}, "acme-tls/1"},
		{"no ALPN", viaListenTLS, nil, ""},
		{"WithTLS", viaWithTLS, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", tc.addr, &tls.Config{RootCAs: pki.Pool, NextProtos: tc.offer})
			require.NoError(t, err)
			defer c.Close()
			assert.Equal(t, tc.want, c.ConnectionState().NegotiatedProtocol)
			io.WriteString(c, serverRequest("GET", "/x", "Connection: close\r\n"))
			resp, body := serverRead(t, bufio.NewReader(c), "GET")
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "GET /x TLS 1.3 "+tc.want+" ", body)
		})
	}
}

// A plaintext request to the HTTPS port is not a TLS handshake: the
// connection closes (the server answers nothing in the clear) and the
// server goes on serving TLS.
func TestServerTLSPlaintextClientClosed(t *testing.T) {
	pki := nettest.NewPKI(t)
	_, addr := serverStartTLS(t, &Server{Handler: serverTLSEcho}, pki.ServerConfig(t, true))
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/", ""))
	serverAssertClosed(t, br)

	hc := serverTLSClient(t, pki, addr)
	_, body := serverGetBody(t, hc, "https://127.0.0.1/after")
	assert.Equal(t, "GET /after TLS 1.3 http/1.1 ", body)
}
