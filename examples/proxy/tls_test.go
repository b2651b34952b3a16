package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCert writes a certificate for loop.test from a fresh test CA, and
// its key, as PEM files, and returns a client config that trusts the CA.
func testCert(t *testing.T) (certFile, keyFile string, client *tls.Config) {
	t.Helper()
	pki := nettest.NewPKI(t)
	certFile, keyFile = nettest.WritePEM(t, t.TempDir(), pki.ServerConfig(t, false))
	client = pki.ClientConfig()
	client.ServerName = nettest.TLSHost
	return certFile, keyFile, client
}

// tlsExchange sends msg over TLS, closes its write side (close_notify)
// and returns everything read back up to the proxy's close_notify.
func tlsExchange(t *testing.T, addr string, cfg *tls.Config, msg []byte) []byte {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", addr, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	sent := make(chan error, 1)
	go func() { // the answer flows back while msg is still being written
		_, err := c.Write(msg)
		if err == nil {
			err = c.CloseWrite()
		}
		sent <- err
	}()
	got, err := io.ReadAll(c)
	require.NoError(t, err, "a clean end (close_notify), not a truncation")
	require.NoError(t, <-sent)
	return got
}

// With -tls-cert and -tls-key the proxy terminates TLS in front of
// plaintext backends, in every mode: the client's bytes reach the backend
// decrypted, its answer comes back encrypted, and half-closes pass both
// ways (close_notify on the TLS side, FIN on the backend's).
func TestTLSTermination(t *testing.T) {
	certFile, keyFile, cliCfg := testCert(t)
	a, b := backend(t, "A:"), backend(t, "B:")
	req := []byte("GET / HTTP/1.1\r\nHost: b.example\r\n\r\n")
	big := append(append([]byte(nil), req...), nettest.Pattern(1<<20, 3)...)
	for _, tc := range []struct {
		name string
		cfg  config
		msg  []byte
		want string
	}{
		{"relay", config{backend: a}, req, "A:"},
		{"relay, 1 MiB", config{backend: a}, big, "A:"},
		{"duplex", config{backend: a, duplicate: b}, req, "A:"},
		{"router, by the decrypted Host header", config{route: "host:a.example=" + a + ",host:b.example=" + b}, big, "B:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.tlsCert, cfg.tlsKey = certFile, keyFile
			addr, _ := start(t, cfg)
			got := tlsExchange(t, addr, cliCfg, tc.msg)
			want := append([]byte(tc.want), tc.msg...)
			assert.True(t, bytes.Equal(want, got), "got %d bytes, want %d", len(got), len(want))

			// The listener speaks TLS only: a plaintext request gets no answer.
			assert.Empty(t, exchange(t, addr, string(req)))
		})
	}
}

func TestTLSFlags(t *testing.T) {
	certFile, keyFile, _ := testCert(t)
	be := nettest.RefusedAddr(t)
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct{ cert, key, err string }{
		{certFile, "", "go together"},
		{"", keyFile, "go together"},
		{certFile, filepath.Join(t.TempDir(), "missing.pem"), "no such file"},
	} {
		cfg := config{listen: "127.0.0.1:0", backend: be, tlsCert: tc.cert, tlsKey: tc.key}
		assert.ErrorContains(t, run(log, cfg, nil, nil, nil), tc.err)
	}
}
