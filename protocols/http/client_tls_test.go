package http

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// clientTLSHello answers with the scheme the request came over and its
// path; a POST body is echoed.
func clientTLSHello(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPost {
		io.Copy(w, req.Body)
		return
	}
	scheme := "plain"
	if req.TLS != nil {
		scheme = "tls"
	}
	fmt.Fprintf(w, "%s %s auth=%q", scheme, req.URL.Path, req.Header.Get("Authorization"))
}

// The evented client fetches from net/http's HTTPS server, verified
// against the test CA: GET and POST work, four requests in a row use one
// TLS connection (one accept, one handshake on the server), and the
// response carries the TLS state.
func TestClientTLSGetAndKeepAlive(t *testing.T) {
	pki := nettest.NewPKI(t)
	cfg, handshakes := tlsCountHandshakes(pki.ServerConfig(t, true))
	s := clientNewTLSServer(t, http.HandlerFunc(clientTLSHello), cfg)
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))

	for i := range 3 {
		res := clientGet(t, r, c, fmt.Sprintf("%s/%d", s.URL, i))
		require.NoError(t, res.err)
		assert.Equal(t, fmt.Sprintf(`tls /%d auth=""`, i), string(res.resp.Body))
		st := res.resp.TLS
		require.NotNil(t, st, "ClientResponse.TLS")
		assert.Equal(t, "http/1.1", st.NegotiatedProtocol)
		assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
		assert.True(t, st.HandshakeComplete)
		require.NotEmpty(t, st.VerifiedChains, "the server's chain was verified")
		assert.True(t, st.VerifiedChains[0][len(st.VerifiedChains[0])-1].Equal(pki.CA), "up to the test CA")
		assert.Same(t, st, res.resp.Response().TLS)
	}
	big := bytes.Repeat([]byte("evmachine"), 200_000)
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Post(s.URL+"/echo", "", big, cb) })
	require.NoError(t, res.err)
	assert.Equal(t, sha256.Sum256(big), sha256.Sum256(res.resp.Body), "1.8 MB each way through TLS")

	assert.Equal(t, int64(1), s.newConns.Load(), "four requests, one connection accepted")
	assert.Equal(t, int64(1), handshakes.Load(), "four requests, one TLS handshake")
}

// Verification is on by default and failures are connect failures: a
// *url.Error whose chain holds crypto/x509's error.
func TestClientTLSVerifies(t *testing.T) {
	pki := nettest.NewPKI(t)
	withIP := clientNewTLSServer(t, http.HandlerFunc(clientTLSHello), pki.ServerConfig(t, true))
	dnsOnly := clientNewTLSServer(t, http.HandlerFunc(clientTLSHello), pki.ServerConfig(t, false))
	r := startReactor(t)

	get := func(t *testing.T, c *Client, url string) clientResult {
		t.Helper()
		return clientGet(t, r, c, url)
	}
	check := func(t *testing.T, res clientResult, target any) {
		t.Helper()
		require.Error(t, res.err)
		assert.Nil(t, res.resp)
		var ue *url.Error
		require.ErrorAs(t, res.err, &ue, "a *url.Error, as the client's other errors")
		assert.ErrorAs(t, res.err, target)
		assert.Contains(t, res.err.Error(), "connecting to 127.0.0.1:")
	}
	t.Run("system roots: unknown authority", func(t *testing.T) {
		c := NewClient(r) // no WithClientTLSConfig: the system's roots, which do not hold the test CA
		res := get(t, c, withIP.URL)
		var uae x509.UnknownAuthorityError
		var sre x509.SystemRootsError // a machine without any roots
		if !errors.As(res.err, &sre) {
			check(t, res, &uae)
		}
	})
	t.Run("another CA: unknown authority", func(t *testing.T) {
		c := NewClient(r, WithClientTLSConfig(nettest.NewPKI(t).ClientConfig()))
		var uae x509.UnknownAuthorityError
		check(t, get(t, c, withIP.URL), &uae)
	})
	t.Run("wrong host", func(t *testing.T) {
		c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
		var he x509.HostnameError
		check(t, get(t, c, dnsOnly.URL), &he) // a certificate for loop.test, fetched as 127.0.0.1
		assert.Equal(t, "127.0.0.1", he.Host, "the host verified is the URL's")
	})
	t.Run("ServerName given", func(t *testing.T) {
		cfg := pki.ClientConfig()
		cfg.ServerName = tlsTestHost
		c := NewClient(r, WithClientTLSConfig(cfg))
		res := clientGet(t, r, c, dnsOnly.URL+"/named")
		require.NoError(t, res.err)
		assert.Equal(t, `tls /named auth=""`, string(res.resp.Body))
	})
	t.Run("the config is cloned", func(t *testing.T) {
		cfg := pki.ClientConfig()
		c := NewClient(r, WithClientTLSConfig(cfg))
		cfg.RootCAs = x509.NewCertPool() // too late to matter
		require.NoError(t, clientGet(t, r, c, withIP.URL).err)
	})
	t.Run("refused", func(t *testing.T) {
		c := NewClient(r)
		res := clientGet(t, r, c, "https://"+nettest.RefusedAddr(t)+"/")
		assert.ErrorIs(t, res.err, syscall.ECONNREFUSED)
	})
}

// http://ADDR and https://ADDR on one port are two pools: each request
// goes over a connection of its own scheme (the server sees which), and a
// connection of one scheme is never reused for the other.
func TestClientTLSPoolPerScheme(t *testing.T) {
	pki := nettest.NewPKI(t)
	addr := tlsDualServer(t, http.HandlerFunc(clientTLSHello), pki.ServerConfig(t, true))
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
	for _, u := range []string{"https://" + addr + "/a", "http://" + addr + "/b", "https://" + addr + "/c", "http://" + addr + "/d"} {
		res := clientGet(t, r, c, u)
		require.NoError(t, res.err, u)
		want := "plain"
		if res.resp.TLS != nil {
			want = "tls"
		}
		assert.Equal(t, fmt.Sprintf("%s %s auth=\"\"", want, u[len(u)-2:]), string(res.resp.Body), u)
	}
	pools := map[string]int{}
	onLoop(t, r, func() {
		for key, h := range c.hosts {
			pools[key] = len(h.conns)
		}
	})
	assert.Equal(t, map[string]int{"https://" + addr: 1, "http://" + addr: 1}, pools, "one kept-alive connection per scheme")
}

// The pool key includes the scheme and the scheme's default port.
func TestClientHostKey(t *testing.T) {
	for raw, want := range map[string][2]string{
		"http://Example.com/x":   {"http://example.com:80", "example.com:80"},
		"https://example.com/x":  {"https://example.com:443", "example.com:443"},
		"http://example.com:443": {"http://example.com:443", "example.com:443"},
		"HTTPS://[::1]/":         {"https://[::1]:443", "[::1]:443"},
		"https://a.test:8443/":   {"https://a.test:8443", "a.test:8443"},
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		key, addr := clientHostKey(u)
		assert.Equal(t, want, [2]string{key, addr}, raw)
	}
}

// Redirects switch between http and https both ways when they are on;
// credentials follow an upgrade on the same host but not a downgrade.
func TestClientTLSRedirects(t *testing.T) {
	pki := nettest.NewPKI(t)
	secure := clientNewTLSServer(t, http.HandlerFunc(clientTLSHello), pki.ServerConfig(t, true))
	plain := clientNewServer(t, http.HandlerFunc(clientTLSHello))
	toSecure := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, secure.URL+"/up", http.StatusFound)
	}))
	toPlain := clientNewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, plain.URL+"/down", http.StatusMovedPermanently)
	}), pki.ServerConfig(t, true))
	dual := tlsDualServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/upgrade":
			http.Redirect(w, req, "https://"+req.Host+"/final", http.StatusFound)
		case "/downgrade":
			http.Redirect(w, req, "http://"+req.Host+"/final", http.StatusFound)
		default:
			clientTLSHello(w, req)
		}
	}), pki.ServerConfig(t, true))
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()), WithClientRedirects(3))

	for _, tc := range []struct {
		name, url, body, scheme string
	}{
		{"http to https", toSecure.URL, `tls /up auth=""`, "https"},
		{"https to http", toPlain.URL, `plain /down auth=""`, "http"},
		{"upgrade on one host keeps credentials", "http://" + dual + "/upgrade", `tls /final auth="Bearer secret"`, "https"},
		{"downgrade on one host drops them", "https://" + dual + "/downgrade", `plain /final auth=""`, "http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tc.url, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer secret")
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
			require.NoError(t, res.err)
			assert.Equal(t, tc.body, string(res.resp.Body))
			assert.Equal(t, 1, res.resp.Redirects)
			assert.Equal(t, tc.scheme, res.resp.Request.URL.Scheme)
			assert.Equal(t, tc.scheme == "https", res.resp.TLS != nil, "TLS state as the last hop")
		})
	}

	off := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
	res := clientGet(t, r, off, toSecure.URL)
	require.NoError(t, res.err)
	assert.Equal(t, http.StatusFound, res.resp.StatusCode, "redirects off: returned as is")
}

// A kept-alive TLS connection the server dropped as the next request went
// out: the GET is sent again on a new TLS connection.
func TestClientTLSRetriesOnStaleConnection(t *testing.T) {
	pki := nettest.NewPKI(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.ServerConfig(t, true))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(testWatchdog))
				br := bufio.NewReader(conn)
				for i := 0; ; i++ {
					req := clientReadRequest(br)
					if req == nil || (i == 1 && req.URL.Path != "/fresh") {
						return // close (with close_notify) without an answer
					}
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
	base := "https://" + ln.Addr().String()
	require.NoError(t, clientGet(t, r, c, base+"/").err)
	res := clientGet(t, r, c, base+"/again")
	require.NoError(t, res.err)
	assert.Equal(t, "ok", string(res.resp.Body))
	assert.Equal(t, int64(2), conns.Load(), "the retry used a new connection")
}

// A request paused before its response arrives, on a new TLS connection:
// the handshake still completes while it is paused (a paused Conn does not
// read, so the client holds it only once the handshake is done), and the
// response arrives after Resume.
func TestClientTLSPausedDuringHandshake(t *testing.T) {
	pki := nettest.NewPKI(t)
	s := clientNewTLSServer(t, http.HandlerFunc(clientTLSHello), pki.ServerConfig(t, true))
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
	done := make(chan clientResult, 1)
	var req *ClientRequest
	onLoop(t, r, func() {
		req = c.Get(s.URL+"/paused", func(resp *ClientResponse, err error) { done <- clientResult{resp: resp, err: err} })
		req.Pause()
	})
	handshaken := func() bool {
		ok := false
		onLoop(t, r, func() {
			for _, h := range c.hosts {
				for cc := range h.conns {
					ok = cc.tlsState != nil && cc.conn.Paused()
				}
			}
		})
		return ok
	}
	require.Eventually(t, handshaken, testWatchdog, 10*time.Millisecond, "handshake done, connection held")
	select {
	case res := <-done:
		t.Fatalf("completed while paused: %v", res.err)
	case <-time.After(100 * time.Millisecond):
	}
	onLoop(t, r, req.Resume)
	res := waitFor(t, done, "response after Resume")
	require.NoError(t, res.err)
	assert.Equal(t, `tls /paused auth=""`, string(res.resp.Body))
}

// Both sides evmachine: the evented client fetches from the evented HTTPS
// server (on another reactor), GET and a 1 MiB POST on one kept-alive TLS
// connection; the handler sees req.TLS, the client resp.TLS.
func TestClientTLSAgainstEventedServer(t *testing.T) {
	pki := nettest.NewPKI(t)
	cfg, handshakes := tlsCountHandshakes(pki.ServerConfig(t, true))
	_, addr := serverStartTLS(t, &Server{Handler: serverTLSEcho}, cfg)
	r := startReactor(t)
	c := NewClient(r, WithClientTLSConfig(pki.ClientConfig()))
	base := "https://" + addr

	res := clientGet(t, r, c, base+"/one")
	require.NoError(t, res.err)
	assert.Equal(t, "GET /one TLS 1.3 http/1.1 ", string(res.resp.Body), "no SNI for an IP address")
	require.NotNil(t, res.resp.TLS)
	assert.Equal(t, "http/1.1", res.resp.TLS.NegotiatedProtocol)
	remote := res.resp.Header.Get("X-Remote")

	big := bytes.Repeat([]byte("both sides "), 100_000)
	res = clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Post(base+"/post", "text/plain", big, cb) })
	require.NoError(t, res.err)
	assert.Equal(t, sha256.Sum256(big), sha256.Sum256(res.resp.Body))
	assert.Equal(t, remote, res.resp.Header.Get("X-Remote"), "the same connection")

	// Two clients' worth of requests at once from one loop, then one more
	// in sequence: the pool's connections are reused.
	const n = 6
	results := make(chan clientResult, n)
	r.NextTick(func() {
		for i := range n {
			c.Get(fmt.Sprintf("%s/p%d", base, i), func(resp *ClientResponse, err error) { results <- clientResult{resp: resp, err: err} })
		}
	})
	for range n {
		res := waitFor(t, results, "parallel result")
		require.NoError(t, res.err)
		assert.Contains(t, string(res.resp.Body), "TLS 1.3 http/1.1")
	}
	before := handshakes.Load()
	require.NoError(t, clientGet(t, r, c, base+"/last").err)
	assert.Equal(t, before, handshakes.Load(), "the last request reused a kept-alive TLS connection")
	assert.LessOrEqual(t, before, int64(ClientDefaultMaxConnsPerHost), "at most the per-host limit of connections")
}
