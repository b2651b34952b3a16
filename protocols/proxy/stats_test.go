package proxy_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
)

// BytesToBackend counts only bytes handed to a backend that connected: a
// backend that refuses, or whose connect times out, gets none however many
// the proxy took from the client while it waited, and its failure is
// counted once. Each case first checks that the proxy did take the bytes
// for the backend (else it would prove nothing).
func TestBytesToBackendOnlyWhenConnected(t *testing.T) {
	sent := []byte("GET / HTTP/1.1\r\nHost: a.example\r\n\r\nthe body")
	backends := map[string]func(testing.TB) string{"refused": nettest.RefusedAddr, "stalled": nettest.StalledAddr}
	type proxyUnderTest struct {
		handler func(*reactor.Conn) reactor.Handler
		stats   *proxy.Stats
		took    func(t *testing.T, rg *rig) bool // the proxy took sent for the backend
	}
	proxies := map[string]func(t *testing.T, backend string, o proxy.Options) proxyUnderTest{
		"relay": func(_ *testing.T, backend string, o proxy.Options) proxyUnderTest {
			p := &proxy.Relay{Backend: backend, Options: o}
			return proxyUnderTest{p.Handler, p.Stats(), func(t *testing.T, rg *rig) bool {
				var n int64
				rg.on(t, func() { n = rg.cs[0].ProxiedBytes() })
				return n == int64(len(sent))
			}}
		},
		"router": func(_ *testing.T, backend string, o proxy.Options) proxyUnderTest {
			routedOn := 0 // on the loop
			p := &proxy.Router{Route: func(b []byte) (string, error) {
				routedOn = len(b)
				return backend, nil
			}, Options: o}
			return proxyUnderTest{p.Handler, p.Stats(), func(t *testing.T, rg *rig) bool {
				n := 0
				rg.on(t, func() { n = routedOn })
				return n == len(sent) // and it dialed and wrote them at once
			}}
		},
		"duplex": func(t *testing.T, backend string, o proxy.Options) proxyUnderTest {
			p := &proxy.Duplex{Production: backend, Staging: serve(t, echo), Options: o}
			return proxyUnderTest{p.Handler, p.Stats(), func(*testing.T, *rig) bool {
				// Staging gets its copy only after production was handed it.
				return p.Stats().Snapshot().StagingBytes == uint64(len(sent))
			}}
		},
	}
	for bname, backend := range backends {
		for pname, newProxy := range proxies {
			t.Run(pname+"/"+bname, func(t *testing.T) {
				lg := &logBuf{}
				p := newProxy(t, backend(t), proxy.Options{ConnectTimeout: time.Second, Logger: lg.Logger()})
				rg := startRig(t, lg, p.handler)
				c := dialAndSend(t, rg, sent)
				got, err := readAll(c)
				if err != nil {
					assert.ErrorContains(t, err, "reset", "closed, not timed out")
				}
				assert.Empty(t, got)
				eventually(t, "the failure counted and the session gone", func() bool {
					s := p.stats.Snapshot()
					return s.ConnectFailures == 1 && s.Active == 0
				})
				eventually(t, "the proxy took the client's bytes for the backend", func() bool { return p.took(t, rg) })
				s := p.stats.Snapshot()
				assert.Zero(t, s.BytesToBackend, "nothing reached the backend")
				assert.Equal(t, uint64(1), s.ConnectFailures)
				assert.Zero(t, s.RouteFailures)
				assert.Equal(t, 1, lg.Lines("backend connect failed"))
			})
		}
	}
}

// dialAndSend connects to the proxy and sends p while the proxy's loop is
// held, so p already waits in the socket when the client is accepted. The
// client's fd is registered before the backend's, so the proxy reads p
// before it can learn that the backend's connect failed.
func dialAndSend(t *testing.T, rg *rig, p []byte) *net.TCPConn {
	t.Helper()
	var (
		c   net.Conn
		err error
	)
	rg.on(t, func() {
		if c, err = net.DialTimeout("tcp", rg.addr, waitFor); err == nil {
			_, err = c.Write(p)
		}
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(waitFor)))
	return c.(*net.TCPConn)
}
