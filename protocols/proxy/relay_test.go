package proxy_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
)

// 100 clients at once, each with its own data, through an echo backend:
// every byte arrives intact in both directions.
func TestRelayManyClientsIntact(t *testing.T) {
	modes(t, func(t *testing.T, noSplice bool) {
		lg := &logBuf{}
		relay := &proxy.Relay{Backend: serve(t, echo), Options: proxy.Options{NoSplice: noSplice, Logger: lg.Logger()}}
		rg := startRig(t, lg, relay.Handler)
		const clients, size = 100, 384 << 10
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				c, err := net.DialTimeout("tcp", rg.addr, waitFor)
				if !assert.NoError(t, err) {
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(waitFor))
				data := nettest.Pattern(size, uint64(i))
				go func() {
					c.Write(data)
					c.(*net.TCPConn).CloseWrite()
				}()
				got, err := readAll(c)
				assert.NoError(t, err)
				assert.True(t, bytes.Equal(data, got), "client %d: got %d bytes back, want %d intact", i, len(got), len(data))
			})
		}
		wg.Wait()
		st := relay.Stats()
		eventually(t, "every session closed", func() bool { return st.Snapshot().Active == 0 })
		s := st.Snapshot()
		assert.Equal(t, uint64(clients), s.Accepted)
		assert.Equal(t, uint64(clients*size), s.BytesToBackend)
		assert.Equal(t, uint64(clients*size), s.BytesToClient)
		assert.Zero(t, s.ConnectFailures)
		rg.on(t, func() { assert.Zero(t, rg.r.ConnectionCount(), "no Conn left") })
	})
}

// A client that shuts down its write side still gets the whole answer,
// which the backend only sends after reading to EOF.
func TestRelayHalfClose(t *testing.T) {
	modes(t, func(t *testing.T, noSplice bool) {
		answer := nettest.Pattern(3<<20, 9)
		backend := serve(t, func(c *net.TCPConn) {
			req, err := io.ReadAll(c) // to the client's EOF
			if err != nil {
				return
			}
			sum := sha256.Sum256(req)
			c.Write(sum[:])
			c.Write(answer)
		})
		lg := &logBuf{}
		relay := &proxy.Relay{Backend: backend, Options: proxy.Options{NoSplice: noSplice, Logger: lg.Logger()}}
		rg := startRig(t, lg, relay.Handler)
		c := dial(t, rg.addr)
		req := nettest.Pattern(1<<20, 10)
		_, err := c.Write(req)
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		got, err := readAll(c)
		require.NoError(t, err)
		sum := sha256.Sum256(req)
		require.Len(t, got, len(sum)+len(answer))
		assert.Equal(t, sum[:], got[:len(sum)], "the backend saw the whole request")
		assert.True(t, bytes.Equal(answer, got[len(sum):]), "the whole answer")
		eventually(t, "the session closed", func() bool { return relay.Stats().Snapshot().Active == 0 })
	})
}

// A refusing backend: the client sees its connection closed, the proxy
// logs one line and counts the failure, and serves on.
func TestRelayBackendRefusing(t *testing.T) {
	lg := &logBuf{}
	relay := &proxy.Relay{Backend: nettest.RefusedAddr(t), Options: proxy.Options{Logger: lg.Logger()}}
	rg := startRig(t, lg, relay.Handler)
	for range 3 {
		c := dial(t, rg.addr)
		c.Write([]byte("hello?"))
		got, err := readAll(c)
		if err != nil { // a reset is a closed connection too
			assert.ErrorContains(t, err, "reset")
		}
		assert.Empty(t, got)
	}
	eventually(t, "failures counted and sessions gone", func() bool {
		s := relay.Stats().Snapshot()
		return s.ConnectFailures == 3 && s.Active == 0
	})
	assert.Equal(t, 3, lg.Lines("backend connect failed"), "one log line per refused connect")
}

// A backend that closes in the middle of its answer: the client gets what
// was sent and then a closed connection, with a FIN or with a reset.
func TestRelayBackendClosesMidStream(t *testing.T) {
	for _, reset := range []bool{false, true} {
		name := map[bool]string{false: "fin", true: "reset"}[reset]
		t.Run(name, func(t *testing.T) {
			part := nettest.Pattern(2<<20, 11)
			sent := make(chan struct{})
			backend := serve(t, func(c *net.TCPConn) {
				c.Write(part)
				if reset {
					time.Sleep(100 * time.Millisecond) // let the bytes leave first
					c.SetLinger(0)
				}
				close(sent)
			})
			lg := &logBuf{}
			relay := &proxy.Relay{Backend: backend, Options: proxy.Options{Logger: lg.Logger()}}
			rg := startRig(t, lg, relay.Handler)
			c := dial(t, rg.addr)
			got, err := readAll(c)
			<-sent
			c.Close() // the client's half stays open until it closes
			if reset {
				assert.LessOrEqual(t, len(got), len(part))
				assert.True(t, bytes.Equal(part[:len(got)], got), "a prefix of what was sent")
			} else {
				require.NoError(t, err)
				assert.True(t, bytes.Equal(part, got), "all that was sent")
			}
			eventually(t, "the session closed", func() bool { return relay.Stats().Snapshot().Active == 0 })
			rg.on(t, func() { assert.Zero(t, rg.r.ConnectionCount()) })
		})
	}
}

// A backend whose connects hang: after ConnectTimeout the client is closed
// and the failure logged once.
func TestRelayBackendConnectTimeout(t *testing.T) {
	lg := &logBuf{}
	relay := &proxy.Relay{Backend: nettest.StalledAddr(t), Options: proxy.Options{ConnectTimeout: 300 * time.Millisecond, Logger: lg.Logger()}}
	rg := startRig(t, lg, relay.Handler)
	c := dial(t, rg.addr)
	c.Write([]byte("anyone?"))
	got, err := readAll(c)
	if err != nil {
		assert.ErrorContains(t, err, "reset")
	}
	assert.Empty(t, got)
	eventually(t, "failure counted", func() bool { return relay.Stats().Snapshot().ConnectFailures == 1 })
	assert.Equal(t, 1, lg.Lines("backend connect failed"))
	assert.Equal(t, 1, lg.Lines("timed out"))
}
