package http

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/require"
)

// Helpers of the HTTPS tests (server_tls_test.go, client_tls_test.go).

// tlsTestHost is the name the test certificates are for.
const tlsTestHost = nettest.TLSHost

// tlsCountHandshakes returns a clone of cfg that counts the handshakes
// it completes as a server.
func tlsCountHandshakes(cfg *tls.Config) (*tls.Config, *atomic.Int64) {
	n := new(atomic.Int64)
	cfg = cfg.Clone()
	cfg.VerifyConnection = func(tls.ConnectionState) error {
		n.Add(1)
		return nil
	}
	return cfg, n
}

// clientNewTLSServer is clientNewServer over TLS with cfg (its URL is
// https://127.0.0.1:port).
func clientNewTLSServer(t testing.TB, h http.Handler, cfg *tls.Config) *clientServer {
	t.Helper()
	s := clientUnstartedServer(h)
	s.TLS = cfg
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes some tests cause on purpose
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// tlsDualServer serves h with net/http on one loopback port in both
// schemes: a connection whose first byte is a TLS handshake record
// (0x16) gets TLS with cfg, any other plain HTTP. It returns the
// address, as http://ADDR and https://ADDR share it.
func tlsDualServer(t testing.TB, h http.Handler, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: testWatchdog}
	go srv.Serve(tlsSniffListener{Listener: ln, cfg: cfg})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type tlsSniffListener struct {
	net.Listener
	cfg *tls.Config
}

// Accept peeks at a connection's first byte (within the watchdog) and
// returns a *tls.Conn for a TLS client, so that net/http handshakes and
// sets req.TLS, else the plain connection.
func (l tlsSniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	pc := &tlsPeekedConn{Conn: c, br: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(testWatchdog))
	first, err := pc.br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err == nil && first[0] == 0x16 {
		return tls.Server(pc, l.cfg), nil
	}
	return pc, nil
}

// tlsPeekedConn reads what was peeked first.
type tlsPeekedConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *tlsPeekedConn) Read(p []byte) (int, error) { return c.br.Read(p) }
