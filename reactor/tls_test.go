package reactor

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsProbe is a probe that also records TLSHandshakeCompleted.
type tlsProbe struct {
	*probe
	handshakes chan tls.ConnectionState
}

func (p tlsProbe) TLSHandshakeCompleted(c *Conn) {
	p.record("tls")
	st, ok := c.TLSState()
	if ok {
		p.handshakes <- st
	}
}

// serveTLS starts a TLS listener whose Conns are tlsProbes set up by setup.
func (h *harness) serveTLS(cfg *tls.Config, setup func(p *probe), opts ...ConnOption) (*Listener, chan tlsProbe) {
	h.t.Helper()
	accepted := make(chan tlsProbe, 64)
	l := h.listen("tcp", "127.0.0.1:0", func(c *Conn) Handler {
		tp := tlsProbe{probe: h.newProbe(), handshakes: make(chan tls.ConnectionState, 1)}
		if setup != nil {
			setup(tp.probe)
		}
		accepted <- tp
		return tp
	}, append([]ConnOption{WithTLS(cfg)}, opts...)...)
	return l, accepted
}

func tlsAccepted(t *testing.T, ch chan tlsProbe) tlsProbe {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(waitTimeout):
		t.Fatal("no TLS connection accepted")
		return tlsProbe{}
	}
}

// A Go crypto/tls client talks to a TLS listener: the handshake completes
// (TLSHandshakeCompleted before any data, TLSState filled in), and 1 MiB
// goes both ways intact.
func TestTLSServerWithGoClient(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	srvCfg.NextProtos = []string{"evm/1"}
	cliCfg.NextProtos = []string{"evm/1"}
	l, accepted := h.serveTLS(srvCfg, echoSetup)
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	p := tlsAccepted(t, accepted)
	st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
	assert.Equal(t, uint16(tls.VersionTLS13), st.Version)
	assert.Equal(t, "loop.test", st.ServerName)
	assert.Equal(t, "evm/1", st.NegotiatedProtocol)

	msg := pattern(1<<20, 3)
	go c.Write(msg)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got))
	assert.Equal(t, []string{"post", "tls", "data"}, p.Events())
}

// An evmachine TLS client (Connect WithTLS) talks to a Go TLS server; what
// it writes before the handshake completes goes out after it.
func TestTLSClientWithGoServer(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	p := tlsProbe{probe: h.newProbe(), handshakes: make(chan tls.ConnectionState, 1)}
	p.OnPostInit = func(c *Conn) { c.Write([]byte("written before the handshake")) }
	h.do(func() {
		_, err := h.r.Connect("tcp", ln.Addr().String(), p, WithTLS(cliCfg))
		require.NoError(t, err)
	})
	st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
	assert.Equal(t, "loop.test", st.ServerName)
	require.Len(t, st.PeerCertificates, 1)
	assert.Equal(t, "written before the handshake", string(p.waitGot(t, 28)))
	assert.Equal(t, []string{"post", "completed", "tls", "data"}, p.Events())
	h.do(func() { p.Conn().Close() })
	p.waitUnbind(t)
}

// byteConn writes what crypto/tls gives it one byte at a time, each byte
// read by the server alone: the loop has run a tick after each.
type byteConn struct {
	net.Conn
	h *harness
}

func (b byteConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := b.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
		b.h.do(func() {})
		b.h.do(func() {})
	}
	return len(p), nil
}

// The TLS stage takes its input one byte at a time: the handshake and a
// message, every byte a read of its own.
func TestTLSInputOneByteAtATime(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, echoSetup)
	raw := dial(t, "tcp", l.Addr().String())
	c := tls.Client(byteConn{Conn: raw, h: h}, cliCfg)
	require.NoError(t, c.Handshake())
	p := tlsAccepted(t, accepted)
	waitFor(t, p.handshakes, "TLSHandshakeCompleted")
	_, err := c.Write([]byte("one byte at a time"))
	require.NoError(t, err)
	got := make([]byte, 18)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, "one byte at a time", string(got))
}

// 16 MiB written through TLS, then CloseAfterWriting: the client reads
// every byte, then a clean end (close_notify), not a truncation.
func TestTLSLargeWriteThenCloseNotify(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	msg := pattern(16<<20, 7)
	l, accepted := h.serveTLS(srvCfg, func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Write(msg)
			c.CloseAfterWriting()
		}
	})
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("go"))
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err, "close_notify ends the stream cleanly")
	assert.True(t, bytes.Equal(msg, got), "got %d of %d bytes", len(got), len(msg))
	p := tlsAccepted(t, accepted)
	assert.NoError(t, p.waitUnbind(t))
}

// A peer that sends anything but a ClientHello fails the handshake with
// crypto/tls's own error.
func TestTLSGarbageInsteadOfClientHello(t *testing.T) {
	h := newHarness(t)
	srvCfg, _ := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, nil)
	c := dial(t, "tcp", l.Addr().String())
	write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	p := tlsAccepted(t, accepted)
	reason := p.waitUnbind(t)
	var rh tls.RecordHeaderError
	assert.True(t, errors.As(reason, &rh), "reason %v", reason)
	assert.NotContains(t, p.Events(), "tls")
}

// A client verifies the server: a certificate for another host, or from an
// unknown authority, fails with crypto/x509's error.
func TestTLSClientVerifies(t *testing.T) {
	srvCfg, cliCfg := tlsTestConfigs(t)
	wrongHost := cliCfg.Clone()
	wrongHost.ServerName = "other.test"
	unknownCA := &tls.Config{ServerName: "loop.test", RootCAs: x509.NewCertPool()}
	for name, tc := range map[string]struct {
		cfg   *tls.Config
		check func(error) bool
	}{
		"wrong host": {wrongHost, func(err error) bool {
			var he x509.HostnameError
			return errors.As(err, &he)
		}},
		"unknown authority": {unknownCA, func(err error) bool {
			var ue x509.UnknownAuthorityError
			return errors.As(err, &ue)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			l, _ := h.serveTLS(srvCfg, nil)
			p := h.newProbe()
			h.do(func() {
				_, err := h.r.Connect("tcp", l.Addr().String(), p, WithTLS(tc.cfg))
				require.NoError(t, err)
			})
			reason := p.waitUnbind(t)
			assert.True(t, tc.check(reason), "reason %v", reason)
			assert.NotContains(t, p.Events(), "data")
		})
	}
}

// A peer that never finishes its handshake is closed at the handshake
// timeout, with a reason that is a timeout as net's are.
func TestTLSHandshakeTimeout(t *testing.T) {
	h := newHarness(t)
	srvCfg, _ := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, nil, WithTLSHandshakeTimeout(100*time.Millisecond))
	c := dial(t, "tcp", l.Addr().String()) // sends nothing
	p := tlsAccepted(t, accepted)
	reason := p.waitUnbind(t)
	assert.ErrorIs(t, reason, ErrTLSHandshakeTimeout)
	assert.ErrorIs(t, reason, syscall.ETIMEDOUT)
	assert.True(t, os.IsTimeout(reason))
	var ne net.Error
	assert.True(t, errors.As(reason, &ne) && ne.Timeout())
	_, err := c.Read(make([]byte, 1))
	assert.Error(t, err, "the server closed")
}

// StartTLS upgrades a plaintext Conn mid-session, the STARTTLS of SMTP:
// plaintext lines first, then the handshake on the same connection, then
// lines through TLS.
func TestTLSStartTLS(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, accepted := h.serve(func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			switch string(data) {
			case "STARTTLS\r\n":
				c.Write([]byte("220 go ahead\r\n"))
				require.NoError(t, c.StartTLS(srvCfg))
			default:
				_, ok := c.TLSState()
				c.Write(append([]byte(map[bool]string{true: "tls: ", false: "plain: "}[ok]), data...))
			}
		}
	})
	raw := dial(t, "tcp", l.Addr().String())
	write(t, raw, "EHLO\r\n")
	buf := make([]byte, 64)
	n, err := raw.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "plain: EHLO\r\n", string(buf[:n]))
	write(t, raw, "STARTTLS\r\n")
	n, err = io.ReadAtLeast(raw, buf, len("220 go ahead\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "220 go ahead\r\n", string(buf[:n]))
	c := tls.Client(raw, cliCfg)
	require.NoError(t, c.Handshake())
	_, err = c.Write([]byte("MAIL FROM:<a@b>\r\n"))
	require.NoError(t, err)
	n, err = c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "tls: MAIL FROM:<a@b>\r\n", string(buf[:n]))
	p := h.accepted(accepted)
	h.do(func() {
		assert.Error(t, p.Conn().StartTLS(srvCfg), "already TLS")
	})
}

// A TLS Conn proxies to a plaintext backend and back: TLS termination in
// front of a plain server, as stunnel does for em-proxy.
func TestTLSTerminatingProxy(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	backend, backendAccepted := h.serve(echoSetup)
	front, frontAccepted := h.serveTLS(srvCfg, nil)
	c, err := tls.Dial("tcp", front.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	fp := tlsAccepted(t, frontAccepted)
	waitFor(t, fp.handshakes, "handshake")
	bp := h.newProbe()
	h.do(func() {
		b, err := h.r.Connect("tcp", backend.Addr().String(), bp)
		require.NoError(t, err)
		require.NoError(t, fp.Conn().ProxyTo(b))
		require.NoError(t, b.ProxyTo(fp.Conn()))
	})
	h.accepted(backendAccepted)
	msg := pattern(4<<20, 11)
	go c.Write(msg)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got))
	h.do(func() {
		assert.Equal(t, int64(len(msg)), fp.Conn().ProxiedBytes())
		assert.Equal(t, int64(len(msg)), bp.Conn().ProxiedBytes())
		fp.Conn().Close()
		bp.Conn().Close()
	})
}

// waitFor receives from ch within the wait timeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("no %s within %v", what, waitTimeout)
		var zero T
		return zero
	}
}
