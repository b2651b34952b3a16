package websocket

import (
	"bufio"
	"io"
	"net"
	stdhttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/http"
	"github.com/evmachine/evmachine/reactor"
)

// TestUpgradeFromServeMux mounts WebSocket on one path of an HTTP server
// that serves plain requests on another, on the same connection too.
func TestUpgradeFromServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w *http.Response, req *stdhttp.Request) { w.Write([]byte("plain")); w.End() })
	mux.Handle("/ws", Handler(echoConfig()))
	var addr string
	startReactor(t, func(r *reactor.Reactor) {
		srv := &http.Server{Handler: mux, Logger: quietLog}
		l, err := srv.Listen(r, "tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	// A plain request first, then the upgrade and a frame, in one write.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(watchdog))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: "+key+"\r\nSec-WebSocket-Version: 13\r\n\r\n"+string(cf(true, OpText, "early")))
	br := bufio.NewReader(conn)
	resp, err := stdhttp.ReadResponse(br, nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "plain", string(body))
	resp, err = stdhttp.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", resp.Header.Get("Sec-WebSocket-Accept")) // RFC 6455 1.3's example
	p := &peer{conn: conn, br: br, client: true, rd: Reader{Role: RoleClient}}
	assert.Equal(t, verdictOK, p.expectEcho(text("early")))

	// Not an upgrade: 426 with the version.
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(watchdog))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err = stdhttp.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	assert.Equal(t, 426, resp.StatusCode)
	assert.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
}

// TestCloseTimeout: a peer that never answers our close frame is cut off
// after the close timeout, reported as unclean with ErrCloseTimeout.
func TestCloseTimeout(t *testing.T) {
	closed := make(chan CloseEvent, 1)
	cfg := &Config{Logger: quietLog, CloseTimeout: 200 * time.Millisecond, Handlers: Handlers{
		OnOpen:  func(c *Conn) { c.Close(CloseGoingAway, "bye") },
		OnClose: func(_ *Conn, ev CloseEvent) { closed <- ev },
	}}
	_, addr := listenEcho(t, cfg)
	p := serverPeer(t, addr, "")
	start := time.Now()
	ev := wait(t, closed, "close")
	assert.ErrorIs(t, ev.Err, ErrCloseTimeout)
	assert.False(t, ev.WasClean)
	assert.Equal(t, uint16(CloseAbnormal), ev.Code)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	// The peer got the close frame, then the TCP close.
	f, err := p.next(watchdog)
	require.NoError(t, err)
	assert.Equal(t, OpClose, f.Op)
	_, err = p.next(watchdog)
	assert.Error(t, err)
}

// TestPeerDropsWithoutClose reports 1006.
func TestPeerDropsWithoutClose(t *testing.T) {
	closed := make(chan CloseEvent, 1)
	cfg := &Config{Logger: quietLog, Handlers: Handlers{OnClose: func(_ *Conn, ev CloseEvent) { closed <- ev }}}
	_, addr := listenEcho(t, cfg)
	p := serverPeer(t, addr, "")
	p.conn.Close()
	ev := wait(t, closed, "close")
	assert.Equal(t, uint16(CloseAbnormal), ev.Code)
	assert.False(t, ev.WasClean)
	assert.Error(t, ev.Err)
}

// TestProtocolErrorReported: OnError gets the *ProtocolError, OnClose an
// unclean end, and the peer a close frame with the code.
func TestProtocolErrorReported(t *testing.T) {
	errs := make(chan error, 1)
	closed := make(chan CloseEvent, 1)
	cfg := &Config{Logger: quietLog, MaxMessage: 100, Handlers: Handlers{
		OnError: func(_ *Conn, err error) { errs <- err },
		OnClose: func(_ *Conn, ev CloseEvent) { closed <- ev },
	}}
	_, addr := listenEcho(t, cfg)
	p := serverPeer(t, addr, "")
	p.sendFrame(true, OpBinary, make([]byte, 101))
	assert.Equal(t, verdictOK, p.expectFail(nil, CloseTooBig))
	var pe *ProtocolError
	require.ErrorAs(t, wait(t, errs, "error"), &pe)
	assert.Equal(t, uint16(CloseTooBig), pe.Code)
	ev := wait(t, closed, "close")
	assert.False(t, ev.WasClean)
	assert.ErrorAs(t, ev.Err, &pe)
}

// TestWSS runs the client over TLS to a TLS listener (wss://).
func TestWSS(t *testing.T) {
	pki := nettest.NewPKI(t)
	var addr string
	r := startReactor(t, func(r *reactor.Reactor) {
		_, l, err := Listen(r, "tcp", "127.0.0.1:0", echoConfig(), reactor.WithTLS(pki.ServerConfig(t, true)))
		require.NoError(t, err)
		addr = l.Addr().String()
	})
	ev, cfg := newClientEvents()
	cfg.TLSConfig = pki.ClientConfig()
	cfg.TLSConfig.ServerName = nettest.TLSHost
	onLoop(t, r, func() { _, err := Dial(r, "wss://"+addr+"/secure", cfg); require.NoError(t, err) })
	c := wait(t, ev.open, "open")
	onLoop(t, r, func() {
		st, ok := c.Underlying().TLSState()
		assert.True(t, ok)
		assert.True(t, st.HandshakeComplete)
		c.Send("over tls")
	})
	assert.Equal(t, "over tls", wait(t, ev.text, "echo"))
	onLoop(t, r, func() { c.Close(0, "") })
	assert.True(t, wait(t, ev.closed, "close").WasClean)

	// A client that does not trust the certificate fails the handshake.
	ev2, cfg2 := newClientEvents()
	onLoop(t, r, func() { _, err := Dial(r, "wss://"+addr+"/", cfg2); require.NoError(t, err) })
	err := wait(t, ev2.errs, "tls error")
	assert.True(t, strings.Contains(err.Error(), "certificate"), err.Error())
}
