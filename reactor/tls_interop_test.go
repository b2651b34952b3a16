package reactor

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The TLS stage proven against the programs people run on the other end
// (STYLE.md 19): OpenSSL's s_client and s_server (tls_interop_openssl_test.go)
// and Ruby's EventMachine (tls_interop_em_test.go). This file holds what they
// share: a small PKI written as PEM files, and a child process whose stdin
// the test writes and whose stdout it reads. Every peer listens or connects
// on 127.0.0.1 only and is killed by its PID at cleanup.

// interopPKI is a CA and a server certificate it signed for "loop.test"
// and 127.0.0.1 (ECDSA P-256, as tlsTestConfigs), as tls.Configs and as
// PEM files in a test's temporary directory.
type interopPKI struct {
	server *tls.Config // the leaf and its key
	client *tls.Config // RootCAs trusts the CA only; no ServerName (Connect's host is used)
	ca     *x509.Certificate
	leaf   *x509.Certificate

	caFile, certFile, keyFile string
}

func newInteropPKI(t *testing.T) *interopPKI {
	t.Helper()
	ca := nettest.NewPKI(t)
	server := ca.ServerConfig(t, true)
	pki := &interopPKI{server: server, client: ca.ClientConfig(), ca: ca.CA, leaf: server.Certificates[0].Leaf}
	dir := t.TempDir()
	pki.caFile = filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(pki.caFile, ca.CAPEM, 0o600))
	pki.certFile, pki.keyFile = nettest.WritePEM(t, dir, pki.server)
	return pki
}

// The PKI is what the peers need: a leaf for loop.test and 127.0.0.1 that
// the CA signed, and PEM files that Go reads back as the same key pair.
func TestInteropPKI(t *testing.T) {
	pki := newInteropPKI(t)
	assert.Equal(t, []string{"loop.test"}, pki.leaf.DNSNames)
	require.Len(t, pki.leaf.IPAddresses, 1)
	assert.True(t, pki.leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
	for _, name := range []string{"loop.test", "127.0.0.1"} {
		_, err := pki.leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pki.client.RootCAs})
		assert.NoError(t, err, name)
	}
	pair, err := tls.LoadX509KeyPair(pki.certFile, pki.keyFile)
	require.NoError(t, err)
	assert.Equal(t, pki.server.Certificates[0].Certificate, pair.Certificate)
	assert.True(t, pki.server.Certificates[0].PrivateKey.(*ecdsa.PrivateKey).Equal(pair.PrivateKey))
	caPEM, err := os.ReadFile(pki.caFile)
	require.NoError(t, err)
	blk, _ := pem.Decode(caPEM)
	require.NotNil(t, blk)
	assert.Equal(t, pki.ca.Raw, blk.Bytes)

	// tlsTestConfigs' self-signed pair encodes the same way.
	srv, _ := tlsTestConfigs(t)
	certFile, keyFile := nettest.WritePEM(t, t.TempDir(), srv)
	pair, err = tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	assert.Equal(t, srv.Certificates[0].Certificate, pair.Certificate)
}

// needTool skips the test when a peer program is missing, with the Debian
// package that brings it. Under CI (CI set, as .ci/run runs) it fails
// instead: .ci/run installs them, and a skipped interop test there would
// hide a missing install step.
func needTool(t *testing.T, ok bool, what, pkg string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing under CI; .ci/run must install %s", what, pkg)
	}
	t.Skipf("%s is not installed (Debian: apt-get install %s); skipping this interop test", what, pkg)
}

func needOpenSSL(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("openssl")
	needTool(t, err == nil, "the openssl command", "openssl")
}

// haveEventMachine reports whether ruby can load the eventmachine gem.
var haveEventMachine = sync.OnceValue(func() bool {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return exec.CommandContext(ctx, "ruby", "-reventmachine", "-e", "exit(EM.ssl? ? 0 : 1)").Run() == nil
})

func needEventMachine(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("ruby")
	needTool(t, err == nil, "ruby", "ruby ruby-eventmachine")
	needTool(t, haveEventMachine(), "Ruby's eventmachine gem (with TLS)", "ruby ruby-eventmachine")
}

// peerOutput collects a child's stdout for the test goroutine.
type peerOutput struct {
	mu   sync.Mutex
	b    []byte
	more chan struct{} // signalled (non-blocking) on every Write
}

func (o *peerOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b = append(o.b, p...)
	o.mu.Unlock()
	select {
	case o.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *peerOutput) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]byte(nil), o.b...)
}

func (o *peerOutput) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.b)
}

// peer is a program the test runs as the other end of a connection.
type peer struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *peerOutput
	errOut *nettest.Buffer
	exited chan struct{} // closed once Wait has returned waitErr
	werr   error
}

// startPeer starts name with args. Its stdout is collected, its stderr
// kept for the log of a failed test. At cleanup its stdin is closed, it
// is killed by its PID and waited for.
func startPeer(t *testing.T, name string, args ...string) *peer {
	t.Helper()
	p := &peer{name: name, out: &peerOutput{more: make(chan struct{}, 1)}, errOut: &nettest.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.errOut
	p.cmd.WaitDelay = waitTimeout / 3 // a grandchild holding stdout cannot hang Wait
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		p.werr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		p.cmd.Process.Kill() // by its PID; an error once it has exited: fine
		select {
		case <-p.exited:
		case <-time.After(waitTimeout):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", name, p.cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.errOut)
		}
	})
	return p
}

// write sends data to the peer's stdin from a goroutine (the peer reads it
// while the test reads its stdout); the returned channel gets the result.
func (p *peer) write(data []byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := p.stdin.Write(data)
		done <- err
	}()
	return done
}

// waitOutput waits until the peer has written at least n bytes on stdout
// and returns all it wrote.
func (p *peer) waitOutput(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		if p.out.Len() >= n {
			return p.out.Bytes()
		}
		select {
		case <-p.out.more:
		case <-p.exited:
			got := p.out.Bytes()
			require.GreaterOrEqual(t, len(got), n, "%s exited (%v) before writing %d bytes; stderr:\n%s", p.name, p.werr, n, p.errOut)
			return got
		case <-deadline:
			require.FailNow(t, "timed out", "%s wrote %d of %d bytes within %v", p.name, p.out.Len(), n, waitTimeout)
		}
	}
}

// waitLine waits for a stdout line that starts with prefix and returns the
// rest of it.
func (p *peer) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		for line := range strings.Lines(string(p.out.Bytes())) {
			if rest, ok := strings.CutPrefix(line, prefix); ok && strings.HasSuffix(rest, "\n") {
				return strings.TrimSuffix(rest, "\n")
			}
		}
		select {
		case <-p.out.more:
		case <-p.exited:
			require.FailNow(t, "peer exited", "%s exited (%v) before printing %q; stderr:\n%s", p.name, p.werr, prefix, p.errOut)
		case <-deadline:
			require.FailNow(t, "timed out", "%s did not print %q within %v", p.name, prefix, waitTimeout)
		}
	}
}

// waitExit waits for the peer to exit by itself and returns Wait's error.
func (p *peer) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.werr
	case <-time.After(waitTimeout):
		require.FailNow(t, "timed out", "%s did not exit within %v", p.name, waitTimeout)
		return nil
	}
}

// waitSent waits for a write to the peer's stdin to complete.
func waitSent(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		require.NoError(t, err, "writing the peer's stdin")
	case <-time.After(waitTimeout):
		require.FailNow(t, "timed out", "the peer did not read its stdin within %v", waitTimeout)
	}
}

// assertSameBytes checks every byte, reporting the first difference
// instead of dumping megabytes.
func assertSameBytes(t *testing.T, want, got []byte, what string) bool {
	t.Helper()
	n := min(len(want), len(got))
	for i := range n {
		if want[i] != got[i] {
			return assert.Fail(t, what+": bytes differ", "first difference at offset %d of %d (want %#02x, got %#02x); got %d bytes", i, len(want), want[i], got[i], len(got))
		}
	}
	return assert.Equal(t, len(want), len(got), "%s: length", what)
}

// freeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment
// ago, for a peer that must be told its port.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// loopbackListening reports whether something listens on 127.0.0.1:port,
// from /proc/net/tcp, without connecting (a probe connection would be a
// client to the peer). ok is false where there is no /proc/net/tcp.
func loopbackListening(port int) (listening, ok bool) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, false
	}
	// The address is the 32-bit word in host byte order.
	le, be := fmt.Sprintf("0100007F:%04X", port), fmt.Sprintf("7F000001:%04X", port)
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 3 && (f[1] == le || f[1] == be) && f[3] == "0A" { // TCP_LISTEN
			return true, true
		}
	}
	return false, true
}
