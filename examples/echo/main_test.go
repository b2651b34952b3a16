package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/selfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitFor = 20 * time.Second // bounds every wait; never a measurement

// TestMain lets a test run the real program as a child process
// (internal/selfexec).
func TestMain(m *testing.M) { selfexec.Main(m, "echo", main) }

// echoProcess is the program running as a child process, with the address
// it listens on.
type echoProcess struct {
	*selfexec.Process
	addr string
}

// startEcho runs the program with args on 127.0.0.1:0 and waits for its
// "listening" line. At cleanup it is killed by its PID and waited for.
func startEcho(t *testing.T, args ...string) *echoProcess {
	t.Helper()
	p := selfexec.Start(t, "echo", waitFor, append([]string{"-addr", "127.0.0.1:0", "-grace", "5s"}, args...)...)
	addr := p.WaitLog(t, `msg="echo server listening".* addr=(\S+)`)[1]
	return &echoProcess{Process: p, addr: addr}
}

// stop sends SIGTERM and checks the program exits 0 with its last line.
func (p *echoProcess) stop(t *testing.T) {
	t.Helper()
	log, _ := p.Stop(t)
	assert.Contains(t, log, "echo server stopped")
}

// testCert writes a certificate for loop.test and 127.0.0.1 from a fresh
// test CA, and its key, as PEM files; the pool trusts the CA.
func testCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	pki := nettest.NewPKI(t)
	certFile, keyFile = nettest.WritePEM(t, t.TempDir(), pki.ServerConfig(t, true))
	return certFile, keyFile, pki.Pool
}

// pattern returns n bytes that reveal loss, duplication and reordering.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) + seed
	}
	return b
}

// echoes writes a few KiB, then 1 MiB, and checks each comes back whole.
func echoes(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	for _, msg := range [][]byte{pattern(5000, 1), pattern(1<<20, 2)} {
		sent := make(chan error, 1)
		go func() {
			_, err := c.Write(msg)
			sent <- err
		}()
		got := make([]byte, len(msg))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err)
		require.NoError(t, <-sent)
		assert.True(t, bytes.Equal(msg, got), "%d bytes echoed intact", len(msg))
	}
}

func TestPlainEcho(t *testing.T) {
	p := startEcho(t)
	c, err := net.DialTimeout("tcp", p.addr, waitFor)
	require.NoError(t, err)
	defer c.Close()
	echoes(t, c)
	c.Close()
	p.stop(t)
}

// With -loops 3 the program runs a reactor.Group: several clients are
// echoed, and SIGTERM drains every loop.
func TestGroupEcho(t *testing.T) {
	p := startEcho(t, "-loops", "3")
	for range 6 {
		c, err := net.DialTimeout("tcp", p.addr, waitFor)
		require.NoError(t, err)
		echoes(t, c)
		c.Close()
	}
	p.stop(t)
}

// With -tls-cert and -tls-key the program serves TLS: a crypto/tls client
// that trusts the certificate gets its bytes back; a plaintext client
// gets nothing echoed.
func TestTLSEcho(t *testing.T) {
	certFile, keyFile, pool := testCert(t)
	p := startEcho(t, "-tls-cert", certFile, "-tls-key", keyFile)

	for _, name := range []string{"loop.test", "127.0.0.1"} {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", p.addr, &tls.Config{RootCAs: pool, ServerName: name})
		require.NoError(t, err, name)
		assert.Equal(t, uint16(tls.VersionTLS13), c.ConnectionState().Version)
		echoes(t, c)
		c.Close()
	}

	plain, err := net.DialTimeout("tcp", p.addr, waitFor)
	require.NoError(t, err)
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(waitFor))
	_, err = plain.Write([]byte("hello, not TLS\r\n\r\n"))
	require.NoError(t, err)
	got, _ := io.ReadAll(plain) // the server closes (after a TLS alert, perhaps)
	assert.NotContains(t, string(got), "hello", "nothing echoed in plaintext")
	plain.Close()
	p.stop(t)
}

func TestTLSFlags(t *testing.T) {
	certFile, keyFile, _ := testCert(t)
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct{ cert, key, err string }{
		{certFile, "", "go together"},
		{"", keyFile, "go together"},
		{certFile, filepath.Join(t.TempDir(), "missing.pem"), "no such file"},
		{keyFile, certFile, "failed to find"}, // the files swapped
	} {
		err := run(log, "127.0.0.1:0", "", time.Second, tc.cert, tc.key, 1)
		assert.ErrorContains(t, err, tc.err)
	}
}

// A port already in use is reported on stderr and the program exits 1,
// instead of hanging or exiting 0.
func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cmd := selfexec.Command(t, "echo", "-addr", taken.Addr().String())
	stderr, err := selfexec.Run(t, cmd, waitFor)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stderr: %s", stderr)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, stderr, "address already in use")
	t.Logf("stderr: %s", stderr)
}
