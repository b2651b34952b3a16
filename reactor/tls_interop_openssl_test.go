package reactor

import (
	"crypto/tls"
	"errors"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// OpenSSL's s_client talks to an evmachine TLS echo listener, verifying
// its certificate against the CA (-verify_return_error aborts the
// handshake otherwise) for the name loop.test, which it also sends as SNI.
// With -quiet, s_client copies its stdin to the connection and the
// connection to its stdout, nothing else: a few KiB of patterned data,
// then 1 MiB, come back byte for byte. The listener then closes after
// writing: s_client gets close_notify and exits 0.
func TestTLSInteropOpenSSLClient(t *testing.T) {
	for _, tc := range []struct {
		name, flag string
		version    uint16
	}{
		{"TLS 1.3", "-tls1_3", tls.VersionTLS13},
		{"TLS 1.2", "-tls1_2", tls.VersionTLS12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needOpenSSL(t)
			h := newHarness(t)
			pki := newInteropPKI(t)
			l, accepted := h.serveTLS(pki.server, echoSetup)
			sc := startPeer(t, "openssl", "s_client", "-connect", l.Addr().String(), tc.flag,
				"-servername", "loop.test", "-CAfile", pki.caFile,
				"-verify_return_error", "-verify_hostname", "loop.test", "-quiet")

			p := tlsAccepted(t, accepted)
			st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
			assert.Equal(t, tc.version, st.Version, "version: %s", tls.VersionName(st.Version))
			assert.Equal(t, "loop.test", st.ServerName, "SNI from -servername")
			assert.Empty(t, st.PeerCertificates, "no client certificate")

			small, big := pattern(5000, 1), pattern(1<<20, 2)
			waitSent(t, sc.write(small))
			assertSameBytes(t, small, sc.waitOutput(t, len(small)), "the echo of 5000 bytes")
			sent := sc.write(big)
			got := sc.waitOutput(t, len(small)+len(big))
			waitSent(t, sent)
			assertSameBytes(t, big, got[len(small):], "the echo of 1 MiB")
			assertSameBytes(t, append(small, big...), p.Got(), "what the listener received")

			h.do(func() { require.NoError(t, p.Conn().CloseAfterWriting()) })
			assert.NoError(t, sc.waitExit(t), "s_client exits 0 on close_notify")
			assert.NoError(t, p.waitUnbind(t))
			assert.Equal(t, len(small)+len(big), sc.out.Len(), "nothing after the echo")
			assert.Equal(t, []string{"post", "tls", "data", "unbind"}, p.Events())
		})
	}
}

// s_client refuses the listener when it does not trust the CA: the
// verification the test above relies on does happen. The listener's
// reason is only checked to be a failed handshake: s_client sends an
// alert and closes, and the TLS stage reports the close it read with the
// alert (io.ErrUnexpectedEOF), not the alert crypto/tls would report.
func TestTLSInteropOpenSSLClientVerifies(t *testing.T) {
	needOpenSSL(t)
	h := newHarness(t)
	pki, other := newInteropPKI(t), newInteropPKI(t)
	l, accepted := h.serveTLS(pki.server, echoSetup)
	sc := startPeer(t, "openssl", "s_client", "-connect", l.Addr().String(),
		"-servername", "loop.test", "-CAfile", other.caFile, "-verify_return_error", "-quiet")
	p := tlsAccepted(t, accepted)
	reason := p.waitUnbind(t)
	assert.ErrorContains(t, reason, "TLS handshake", "the handshake failed")
	var ee *exec.ExitError
	assert.True(t, errors.As(sc.waitExit(t), &ee), "s_client fails")
	assert.NotContains(t, p.Events(), "tls")
	assert.Zero(t, sc.out.Len())
}

// An evmachine TLS client (Connect WithTLS, verifying with RootCAs) talks
// to OpenSSL's s_server, which prints what it receives on stdout and sends
// its stdin to the client. Data goes both ways at once, a few KiB and
// 1 MiB each way, every byte checked; then the client closes after
// writing (close_notify) and s_server, told to serve one connection, exits
// 0. With no ServerName the client verifies the host it dialed,
// 127.0.0.1, against the certificate's IP address.
func TestTLSInteropOpenSSLServer(t *testing.T) {
	for _, tc := range []struct {
		name, flag, serverName string
		version                uint16
	}{
		{"TLS 1.3, verifying 127.0.0.1", "-tls1_3", "", tls.VersionTLS13},
		{"TLS 1.2, verifying loop.test", "-tls1_2", "loop.test", tls.VersionTLS12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needOpenSSL(t)
			h := newHarness(t)
			pki := newInteropPKI(t)
			ss, addr := startSServer(t, pki, tc.flag)

			cfg := pki.client.Clone()
			cfg.ServerName = tc.serverName
			p := tlsProbe{probe: h.newProbe(), handshakes: make(chan tls.ConnectionState, 1)}
			h.do(func() {
				_, err := h.r.Connect("tcp", addr, p, WithTLS(cfg))
				require.NoError(t, err)
			})
			st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
			assert.Equal(t, tc.version, st.Version, "version: %s", tls.VersionName(st.Version))
			require.NotEmpty(t, st.PeerCertificates)
			assert.True(t, pki.leaf.Equal(st.PeerCertificates[0]), "s_server's certificate")
			require.NotEmpty(t, st.VerifiedChains, "verified")
			assert.True(t, pki.ca.Equal(st.VerifiedChains[0][len(st.VerifiedChains[0])-1]), "up to the CA")

			up := append(pattern(5000, 3), pattern(1<<20, 4)...)
			down := append(pattern(4000, 5), pattern(1<<20, 6)...)
			h.do(func() {
				_, err := p.Conn().Write(up[:5000])
				require.NoError(t, err)
			})
			assertSameBytes(t, up[:5000], ss.waitOutput(t, 5000), "s_server received the first KiB")
			sent := ss.write(down)
			h.do(func() {
				_, err := p.Conn().Write(up[5000:])
				require.NoError(t, err)
			})
			assertSameBytes(t, up, ss.waitOutput(t, len(up)), "s_server received")
			assertSameBytes(t, down, p.waitGot(t, len(down)), "the client received")
			waitSent(t, sent)

			h.do(func() { require.NoError(t, p.Conn().CloseAfterWriting()) })
			assert.NoError(t, p.waitUnbind(t))
			assert.NoError(t, ss.waitExit(t), "s_server -naccept 1 exits 0")
			assert.Equal(t, len(up), ss.out.Len(), "nothing after the data")
			assert.Equal(t, []string{"post", "completed", "tls", "data", "unbind"}, p.Events())
		})
	}
}

// startSServer runs s_server for one connection on a free loopback port
// (another if that one was taken meanwhile) and waits until it listens.
func startSServer(t *testing.T, pki *interopPKI, flags ...string) (*peer, string) {
	t.Helper()
	for range 3 {
		port := freeLoopbackPort(t)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		ss := startPeer(t, "openssl", append([]string{"s_server", "-accept", addr,
			"-cert", pki.certFile, "-key", pki.keyFile, "-naccept", "1", "-quiet"}, flags...)...)
		deadline := time.Now().Add(waitTimeout)
		for {
			listening, ok := loopbackListening(port)
			if !ok {
				t.Skip("no /proc/net/tcp to see when s_server listens without connecting to it")
			}
			if listening {
				return ss, addr
			}
			select {
			case <-ss.exited: // most likely the port was taken: try another
				t.Logf("s_server on %s exited (%v): %s", addr, ss.werr, ss.errOut)
			case <-time.After(5 * time.Millisecond):
				require.True(t, time.Now().Before(deadline), "s_server did not listen on %s within %v", addr, waitTimeout)
				continue
			}
			break
		}
	}
	require.FailNow(t, "s_server did not start", "3 tries; see the log")
	return nil, ""
}
