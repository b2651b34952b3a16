package reactor

import (
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// emEchoServer is an EventMachine TLS echo server (EM 1.3's start_tls with
// a key and certificate file, its default protocol versions and ciphers).
// It listens on 127.0.0.1, an ephemeral port it prints as "port N", logs
// each handshake on stderr and stops when its stdin closes.
// ARGV: key file, certificate file.
const emEchoServer = `
require 'eventmachine'
require 'socket'
$stdout.sync = true
$stderr.sync = true
KEY, CERT = ARGV
module TLSEcho
  def post_init
    start_tls(private_key_file: KEY, cert_chain_file: CERT)
  end
  def ssl_handshake_completed
    $stderr.puts "handshake #{get_cipher_protocol} #{get_cipher_name}"
  end
  def receive_data(data)
    send_data(data)
  end
  def unbind
    $stderr.puts "unbind"
  end
end
EM.run do
  sig = EM.start_server('127.0.0.1', 0, TLSEcho)
  port, = Socket.unpack_sockaddr_in(EM.get_sockname(sig))
  puts "port #{port}"
  Thread.new { $stdin.read; EM.next_tick { EM.stop } }
end
`

// emClient is an EventMachine TLS client: it connects to 127.0.0.1:PORT,
// starts TLS with SNI loop.test and verify_peer, and verifies in
// ssl_verify_peer (EM leaves verification to Ruby) that the CA file signed
// the certificate, then, once the handshake completed, that get_peer_cert
// is for loop.test. It then sends the payload file, copies what it
// receives to stdout and exits 0 when the server closes, 1 if the
// handshake did not complete. ARGV: port, CA file, payload file.
const emClient = `
require 'eventmachine'
require 'openssl'
$stdout.binmode
$stdout.sync = true
$stderr.sync = true
PORT, CA_FILE, PAYLOAD_FILE = ARGV
STORE = OpenSSL::X509::Store.new
STORE.add_file(CA_FILE)
$status = 1
module TLSClient
  def connection_completed
    start_tls(verify_peer: true, sni_hostname: 'loop.test')
  end
  def ssl_verify_peer(pem)
    cert = OpenSSL::X509::Certificate.new(pem)
    ok = STORE.verify(cert)
    $stderr.puts "verify #{cert.subject}: #{ok} (#{STORE.error_string})"
    ok
  end
  def ssl_handshake_completed
    cert = OpenSSL::X509::Certificate.new(get_peer_cert)
    unless OpenSSL::SSL.verify_certificate_identity(cert, 'loop.test')
      $stderr.puts "get_peer_cert: #{cert.subject} is not for loop.test"
      close_connection
      return
    end
    $stderr.puts "handshake #{get_cipher_protocol} #{get_cipher_name} peer #{cert.subject}"
    $status = 0
    send_data(File.binread(PAYLOAD_FILE))
  end
  def receive_data(data)
    $stdout.write(data)
  end
  def unbind
    $stderr.puts "unbind"
    EM.stop
  end
end
EM.run { EM.connect('127.0.0.1', PORT.to_i, TLSClient) }
exit $status
`

// An evmachine TLS client talks to an EventMachine TLS echo server: a few
// KiB, then 1 MiB, come back byte for byte, over TLS 1.3 (both sides'
// defaults) and TLS 1.2 (the client's MaxVersion; EM negotiates down). The
// client verifies EM's certificate with RootCAs, for the name it dialed
// (127.0.0.1) or for loop.test.
func TestTLSInteropEventMachineServer(t *testing.T) {
	for _, tc := range []struct {
		name, serverName string
		maxVersion       uint16
		emSays           string
	}{
		{"TLS 1.3, verifying 127.0.0.1", "", 0, "handshake TLSv1.3 "},
		{"TLS 1.2, verifying loop.test", "loop.test", tls.VersionTLS12, "handshake TLSv1.2 ECDHE-ECDSA-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needEventMachine(t)
			h := newHarness(t)
			pki := newInteropPKI(t)
			em := startPeer(t, "ruby", "-e", emEchoServer, pki.keyFile, pki.certFile)
			addr := "127.0.0.1:" + em.waitLine(t, "port ")

			cfg := pki.client.Clone()
			cfg.ServerName, cfg.MaxVersion = tc.serverName, tc.maxVersion
			p := tlsProbe{probe: h.newProbe(), handshakes: make(chan tls.ConnectionState, 1)}
			msg := append(pattern(5000, 7), pattern(1<<20, 8)...)
			p.OnCompleted = func(c *Conn) { c.Write(msg[:5000]) } // sent once the handshake is done
			h.do(func() {
				_, err := h.r.Connect("tcp", addr, p, WithTLS(cfg))
				require.NoError(t, err)
			})
			st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
			want := uint16(tls.VersionTLS13)
			if tc.maxVersion != 0 {
				want = tc.maxVersion
			}
			assert.Equal(t, want, st.Version, "version: %s", tls.VersionName(st.Version))
			require.NotEmpty(t, st.PeerCertificates)
			assert.True(t, pki.leaf.Equal(st.PeerCertificates[0]), "EM's certificate")
			assert.NotEmpty(t, st.VerifiedChains, "verified")

			assertSameBytes(t, msg[:5000], p.waitGot(t, 5000), "the echo of 5000 bytes")
			h.do(func() {
				_, err := p.Conn().Write(msg[5000:])
				require.NoError(t, err)
			})
			assertSameBytes(t, msg, p.waitGot(t, len(msg)), "the echo of 1 MiB")
			assert.Contains(t, em.errOut.String(), tc.emSays)

			h.do(func() { require.NoError(t, p.Conn().CloseAfterWriting()) })
			assert.NoError(t, p.waitUnbind(t))
			assert.Equal(t, []string{"post", "completed", "tls", "data", "unbind"}, p.Events())
			require.NoError(t, em.stdin.Close())
			assert.NoError(t, em.waitExit(t), "EM stops when its stdin closes")
			assert.Equal(t, "port "+strings.TrimPrefix(addr, "127.0.0.1:")+"\n", string(em.out.Bytes()), "nothing else on stdout")
		})
	}
}

// An EventMachine TLS client, verifying the certificate in ssl_verify_peer
// and checking get_peer_cert, talks to an evmachine TLS listener: it sends
// 1 MiB and a few KiB, which the listener checks byte for byte, then the
// listener sends 1 MiB and a few KiB of its own and closes after writing;
// EM gets every byte, then the close. With a CA file that did not sign the
// listener's certificate, EM's verification fails the handshake.
func TestTLSInteropEventMachineClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted bool
	}{
		{"verified", true},
		{"untrusted certificate", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needEventMachine(t)
			h := newHarness(t)
			pki := newInteropPKI(t)
			caFile := pki.caFile
			if !tc.trusted {
				caFile = newInteropPKI(t).caFile
			}
			up := append(pattern(1<<20, 9), pattern(3000, 10)...)
			down := append(pattern(1<<20, 11), pattern(7000, 12)...)
			payload := filepath.Join(t.TempDir(), "payload")
			require.NoError(t, os.WriteFile(payload, up, 0o600))
			l, accepted := h.serveTLS(pki.server, func(p *probe) {
				n := 0
				p.OnData = func(c *Conn, data []byte) {
					if n += len(data); n == len(up) {
						c.Write(down)
						c.CloseAfterWriting()
					}
				}
			})
			em := startPeer(t, "ruby", "-e", emClient, portOf(t, l), caFile, payload)
			p := tlsAccepted(t, accepted)

			if !tc.trusted {
				reason := p.waitUnbind(t)
				assert.ErrorContains(t, reason, "TLS handshake", "the handshake failed")
				var ee *exec.ExitError
				assert.True(t, errors.As(em.waitExit(t), &ee), "EM's client exits 1")
				assert.Contains(t, em.errOut.String(), "verify /CN=loop.test: false")
				assert.NotContains(t, em.errOut.String(), "handshake ")
				assert.Equal(t, []string{"post", "unbind"}, p.Events())
				return
			}
			st := waitFor(t, p.handshakes, "TLSHandshakeCompleted")
			assert.Equal(t, uint16(tls.VersionTLS13), st.Version, "version: %s", tls.VersionName(st.Version))
			assert.Equal(t, "loop.test", st.ServerName, "EM's sni_hostname")
			assertSameBytes(t, up, p.waitGot(t, len(up)), "what the listener received")
			assertSameBytes(t, down, em.waitOutput(t, len(down)), "what EM received")
			assert.NoError(t, em.waitExit(t), "EM's client exits 0 after the close")
			assert.NoError(t, p.waitUnbind(t))
			assert.Equal(t, len(down), em.out.Len(), "nothing after the data")
			assert.Contains(t, em.errOut.String(), "verify /CN=loop.test: true")
			assert.Contains(t, em.errOut.String(), "handshake TLSv1.3 ")
			assert.Equal(t, []string{"post", "tls", "data", "unbind"}, p.Events())
		})
	}
}

// portOf returns a loopback listener's port, as a string.
func portOf(t *testing.T, l *Listener) string {
	t.Helper()
	addr := l.Addr().String()
	i := strings.LastIndexByte(addr, ':')
	require.Positive(t, i, addr)
	return addr[i+1:]
}
