package reactor

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The handshake goroutine writes its flights to the socket itself while
// nothing is queued there (tls_transport.go, startDirect).

// The server's handshake flight leaves from the handshake goroutine: a
// loop held up in a long callback, once it has read the ClientHello, does
// not hold the reply (before, a tick on the loop wrote it, so with one P a
// flight waited for every handshake goroutine made runnable to run first).
func TestTLSHandshakeFlightLeavesWhileTheLoopIsBusy(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, nil)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	var hold func() // a tick each iteration, ahead of any the handshake queues
	hold = func() {
		if h.r.stats.bytesIn == 0 { // the ClientHello has not been read yet
			h.r.NextTick(hold)
			return
		}
		select { // hold the loop until the client has its handshake
		case <-release:
		case <-time.After(waitTimeout):
		}
	}
	h.do(func() { h.r.NextTick(hold) })
	d := &net.Dialer{Timeout: waitTimeout / 3}
	c, err := tls.DialWithDialer(d, "tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err, "the client's handshake completes while the loop is held")
	defer c.Close()
	unblock()
	p := tlsAccepted(t, accepted)
	waitFor(t, p.handshakes, "the server's handshake")
}

// A flight too big for the socket at once (a 150 KB certificate chain to a
// peer with small socket buffers): the handshake goroutine writes what the
// kernel takes, the loop the rest, in order, and the bytes it wrote itself
// are counted.
func TestTLSHandshakeFlightLargerThanTheSocket(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	cert := &srvCfg.Certificates[0]
	cert.Certificate = append(cert.Certificate, paddingCert(t, 150<<10))
	l, accepted := h.serveTLS(srvCfg, echoSetup, WithSocketBuffers(4096, 4096))
	d := &net.Dialer{Timeout: waitTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := tls.DialWithDialer(d, "tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	assert.Len(t, c.ConnectionState().PeerCertificates, 2, "the whole chain arrived")
	p := tlsAccepted(t, accepted)
	waitFor(t, p.handshakes, "the server's handshake")
	msg := pattern(64<<10, 5)
	go c.Write(msg)
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msg, got), "echoed intact after the handshake")
	var out uint64
	h.do(func() { out = h.r.stats.bytesOut })
	assert.Greater(t, out, uint64(150<<10+len(msg)), "the flight's bytes are counted, also those the handshake goroutine wrote")
}

// paddingCert is a self-signed certificate carrying n bytes in an unknown,
// non-critical extension: appended to a chain, it makes the server's
// Certificate message big without changing what the client verifies.
func paddingCert(t *testing.T, n int) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "padding"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}, Value: make([]byte, n)}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return der
}

// A client-side StartTLS right after a Write the socket did not take at
// once: the ClientHello follows the queued plaintext, whole and in order.
func TestTLSStartTLSBehindQueuedPlaintext(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	plain := pattern(4<<20, 7)
	served := make(chan error, 1)
	go func() {
		served <- func() error {
			raw, err := l.Accept()
			if err != nil {
				return err
			}
			defer raw.Close()
			buf := make([]byte, len(plain))
			if _, err := io.ReadFull(raw, buf); err != nil {
				return err
			}
			if !bytes.Equal(buf, plain) {
				return errors.New("the plaintext arrived changed")
			}
			s := tls.Server(raw, srvCfg)
			if err := s.Handshake(); err != nil {
				return err
			}
			_, err = s.Write([]byte("secure"))
			return err
		}()
	}()
	p := h.newProbe()
	p.OnCompleted = func(c *Conn) {
		c.Write(plain)
		assert.Positive(t, c.OutboundSize(), "the socket did not take 4 MiB at once")
		assert.NoError(t, c.StartTLS(cliCfg))
	}
	h.connect("tcp", l.Addr().String(), p, WithSocketBuffers(8<<10, 8<<10))
	require.NoError(t, waitFor(t, served, "the server's side"))
	assert.Equal(t, "secure", string(p.waitGot(t, 6)))
}

// The handshake goroutine writes for itself only when the loop has nothing
// queued on the socket: a StartTLS behind queued plaintext leaves its
// records to the loop, which sends them after the plaintext. (Which of
// the two would win without the rule is a race; this checks the rule.)
func TestTLSDirectOnlyWithNothingQueued(t *testing.T) {
	h := newHarness(t)
	_, cliCfg := tlsTestConfigs(t)
	l, _ := h.serve(func(*probe) {}, WithSocketBuffers(8<<10, 8<<10))
	for name, queued := range map[string]bool{"nothing queued": false, "plaintext queued": true} {
		t.Run(name, func(t *testing.T) {
			p := h.newProbe()
			direct := make(chan bool, 1)
			p.OnCompleted = func(c *Conn) {
				if queued {
					c.Write(pattern(4<<20, 3)) // more than the socket takes at once
					require.Positive(t, c.OutboundSize())
				}
				require.NoError(t, c.StartTLS(cliCfg))
				ts := c.tlsStage()
				ts.tr.mu.Lock()
				direct <- ts.tr.direct || ts.tr.sent > 0 // (it may have written already)
				ts.tr.mu.Unlock()
			}
			c := h.connect("tcp", l.Addr().String(), p, WithSocketBuffers(8<<10, 8<<10))
			assert.Equal(t, !queued, waitFor(t, direct, "StartTLS"))
			h.do(func() { c.Close() })
		})
	}
}
