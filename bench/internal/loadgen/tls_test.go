package loadgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testServerName = "loadgen.test"

// testCert returns a server config with a fresh ECDSA P-256 certificate
// for testServerName, and the client side that trusts exactly it.
func testCert(t *testing.T) (*tls.Config, *TLSConfig) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: testServerName},
		DNSNames: []string{testServerName}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	srv := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return srv, &TLSConfig{RootsPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ServerName: testServerName}
}

// serveTLS runs a goroutine-per-connection crypto/tls echo server on
// loopback and counts the connections that completed a handshake.
func serveTLS(t *testing.T, cfg *tls.Config) (string, *atomic.Int64) {
	t.Helper()
	var handshakes atomic.Int64
	addr := nettest.Serve(t, func(c *net.TCPConn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		handshakes.Add(1)
		buf := make([]byte, 4096)
		for {
			n, err := tc.Read(buf)
			if err != nil {
				return
			}
			if _, err := tc.Write(buf[:n]); err != nil {
				return
			}
		}
	})
	return addr, &handshakes
}

func TestTLSPingPong(t *testing.T) {
	srv, cli := testCert(t)
	addr, handshakes := serveTLS(t, srv)
	cfg := pingPong(addr, 8, 64)
	cfg.TLS = cli
	res, err, _ := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, 8, res.Connected)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
	assert.Positive(t, res.RoundTrips)
	assert.Equal(t, int64(8), handshakes.Load())
	assert.Equal(t, "TLS 1.3", res.TLSVersion)
	assert.NotEmpty(t, res.TLSGroup)
	assert.Zero(t, res.Handshakes, "only churn runs count handshakes")
}

// The client verifies the server's certificate: a name it does not carry
// fails every handshake.
func TestTLSVerifiesTheServerName(t *testing.T) {
	srv, cli := testCert(t)
	addr, handshakes := serveTLS(t, srv)
	cli.ServerName = "other.test"
	cfg := pingPong(addr, 2, 64)
	cfg.TLS = cli
	res, err, _ := runBounded(t, cfg)
	require.Error(t, err, "no connection was served")
	assert.Equal(t, int64(2), res.ConnectErrors)
	require.NotEmpty(t, res.ErrorSamples)
	assert.Contains(t, res.ErrorSamples[0], "certificate")
	assert.Zero(t, handshakes.Load())
}

func TestTLSIdle(t *testing.T) {
	srv, cli := testCert(t)
	addr, _ := serveTLS(t, srv)
	cfg := Config{Addr: addr, Conns: 10, Size: 64, Idle: true, Settle: 100 * time.Millisecond, Parallel: 4, TLS: cli}
	res, err, _ := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, 10, res.Connected)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
}

// Churn opens, handshakes, round-trips and closes connection after
// connection: the window counts them, and the server saw at least as many.
func TestChurnCountsNewConnections(t *testing.T) {
	srv, cli := testCert(t)
	addr, handshakes := serveTLS(t, srv)
	cfg := Config{Addr: addr, Conns: 4, Size: 64, Churn: true, Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond,
		Parallel: 4, Progress: 100 * time.Millisecond, ConnectTimeout: 5 * time.Second, TLS: cli}
	res, err, progress := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
	assert.Positive(t, res.Handshakes)
	assert.Equal(t, res.Handshakes, res.RoundTrips, "one round trip per connection")
	assert.InDelta(t, float64(res.Handshakes)/res.WindowSeconds, res.HandshakesPerSec, 1e-6)
	assert.GreaterOrEqual(t, res.Connected, int(res.Handshakes), "warm-up connections count as served, not measured")
	assert.GreaterOrEqual(t, handshakes.Load(), res.Handshakes)
	assert.Positive(t, res.P50us)
	assert.NotEmpty(t, progress)
}

func TestChurnWithoutTLS(t *testing.T) {
	cfg := Config{Addr: serve(t, echo), Conns: 2, Size: 32, Churn: true, Warmup: 50 * time.Millisecond,
		Duration: 200 * time.Millisecond, Parallel: 2, ConnectTimeout: 5 * time.Second}
	res, err, _ := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
	assert.Positive(t, res.Handshakes)
}

func TestChurnAgainstNoServerEnds(t *testing.T) {
	cfg := Config{Addr: nettest.RefusedAddr(t), Conns: 4, Size: 64, Churn: true, Warmup: time.Second,
		Duration: time.Second, Parallel: 4, ConnectTimeout: 5 * time.Second}
	res, err, _ := runBounded(t, cfg)
	require.Error(t, err)
	assert.GreaterOrEqual(t, res.ConnectErrors, int64(maxChurnFailures))
	assert.Zero(t, res.Handshakes)
}

func TestValidateTLSAndChurn(t *testing.T) {
	cfg := pingPong("127.0.0.1:1", 1, 64)
	cfg.TLS = &TLSConfig{}
	cfg.Churn, cfg.Idle = true, true
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "server name")
	assert.Contains(t, err.Error(), "churn and idle")
	_, err = (&TLSConfig{ServerName: "x"}).clientConfig()
	assert.Error(t, err, "no roots")
}
