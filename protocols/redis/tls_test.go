package redis

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// TestTLS talks to redis-server's TLS port (Debian builds it with TLS).
func TestTLS(t *testing.T) {
	pki := nettest.NewPKI(t)
	dir := t.TempDir()
	cert, key := nettest.WritePEM(t, dir, pki.ServerConfig(t, true))
	ca := dir + "/ca.pem"
	require.NoError(t, os.WriteFile(ca, pki.CAPEM, 0o600))
	s := startServerTLS(t, "--tls-cert-file", cert, "--tls-key-file", key,
		"--tls-ca-cert-file", ca, "--tls-auth-clients", "no")
	r := startReactor(t)
	cfg := pki.ClientConfig()
	cfg.ServerName = nettest.TLSHost
	c := dial(t, r, s.Addr, WithTLS(cfg))
	v, err := do(t, r, c, "SET", "secure", "yes")
	require.NoError(t, err)
	assert.Equal(t, "OK", v.Str)
	v, err = do(t, r, c, "GET", "secure")
	require.NoError(t, err)
	assert.Equal(t, "yes", v.Str)
	onLoop(t, r, func() {
		st, ok := c.main.rc.TLSState()
		assert.True(t, ok)
		assert.True(t, st.HandshakeComplete)
	})
}
