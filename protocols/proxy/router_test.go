package proxy_test

import (
	"bytes"
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

// taggedBackend answers with its tag, then echoes; it records what it got.
type taggedBackend struct {
	tag  string
	addr string
	mu   sync.Mutex
	got  [][]byte
}

func newTaggedBackend(t *testing.T, tag string) *taggedBackend {
	b := &taggedBackend{tag: tag}
	b.addr = serve(t, func(c *net.TCPConn) {
		c.Write([]byte(tag))
		var in bytes.Buffer
		io.Copy(io.MultiWriter(c, &in), c)
		c.CloseWrite()
		b.mu.Lock()
		b.got = append(b.got, in.Bytes())
		b.mu.Unlock()
	})
	return b
}

func (b *taggedBackend) received() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.got...)
}

func startRouter(t *testing.T, rt *proxy.Router) *rig {
	lg := &logBuf{}
	rt.Logger = lg.Logger()
	return startRig(t, lg, rt.Handler)
}

// The Host header arrives split over two packets: the Router waits for the
// second, then forwards every byte, the first ones included, to the right
// backend and relays the rest both ways.
func TestRouterDecidesOnPartialFirstPacket(t *testing.T) {
	modes(t, func(t *testing.T, noSplice bool) {
		a, b := newTaggedBackend(t, "A:"), newTaggedBackend(t, "B:")
		rules, err := proxy.ParseRoutes("host:a.example=" + a.addr + ",host:b.example=" + b.addr)
		require.NoError(t, err)
		route := proxy.Routes(rules...)
		var seen []int // lengths Route was called with, on the loop
		rt := &proxy.Router{Route: func(b []byte) (string, error) {
			seen = append(seen, len(b))
			return route(b)
		}, Options: proxy.Options{NoSplice: noSplice}}
		rg := startRouter(t, rt)
		c := dial(t, rg.addr)
		first, second := "GET /x HTTP/1.1\r\nUser-Agent: t\r\nHo", "st: B.Example:80\r\n\r\n"
		body := nettest.Pattern(1<<20, 30)
		_, err = c.Write([]byte(first))
		require.NoError(t, err)
		eventually(t, "Route saw the first packet", func() bool {
			n := 0
			rg.on(t, func() { n = len(seen) })
			return n > 0
		})
		_, err = c.Write([]byte(second))
		require.NoError(t, err)
		go func() {
			c.Write(body)
			c.CloseWrite()
		}()
		got, err := readAll(c)
		require.NoError(t, err)
		want := append([]byte("B:"+first+second), body...)
		assert.True(t, bytes.Equal(want, got), "tag, then every byte echoed (%d of %d bytes)", len(got), len(want))
		eventually(t, "backend b recorded the stream", func() bool { return len(b.received()) == 1 })
		assert.True(t, bytes.Equal(want[2:], b.received()[0]), "backend b got the first bytes, then the rest")
		assert.Empty(t, a.received())
		rg.on(t, func() {
			require.Len(t, seen, 2, "undecided after the first packet, decided after the second")
			assert.Equal(t, len(first), seen[0])
		})
		s := rt.Stats().Snapshot()
		assert.Zero(t, s.RouteFailures)
		assert.Equal(t, uint64(len(want)-2), s.BytesToBackend)
	})
}

func TestRouterByPrefix(t *testing.T) {
	ssh, other := newTaggedBackend(t, "S:"), newTaggedBackend(t, "O:")
	rules, err := proxy.ParseRoutes(`prefix:SSH-=` + ssh.addr + `,default=` + other.addr)
	require.NoError(t, err)
	rt := &proxy.Router{Route: proxy.Routes(rules...)}
	rg := startRouter(t, rt)
	for _, tc := range []struct{ parts []string }{
		{[]string{"SS", "H-2.0-client\r\n"}},
		{[]string{"hello\n"}},
		{[]string{"S", "x"}},
	} {
		c := dial(t, rg.addr)
		for _, p := range tc.parts {
			_, err := c.Write([]byte(p))
			require.NoError(t, err)
			time.Sleep(10 * time.Millisecond)
		}
		require.NoError(t, c.CloseWrite())
		got, err := readAll(c)
		require.NoError(t, err)
		sent := ""
		for _, p := range tc.parts {
			sent += p
		}
		tag := "O:"
		if bytes.HasPrefix([]byte(sent), []byte("SSH-")) {
			tag = "S:"
		}
		assert.Equal(t, tag+sent, string(got))
	}
}

// Connections without a route are closed, logged and counted: no match,
// too many bytes without a decision, too slow to decide, EOF first.
func TestRouterNoRoute(t *testing.T) {
	a := newTaggedBackend(t, "A:")
	rt := &proxy.Router{
		Route:       proxy.Routes(proxy.Rule{Host: "a.example", Backend: a.addr}),
		MaxPeek:     256,
		PeekTimeout: 300 * time.Millisecond,
	}
	rg := startRouter(t, rt)
	cases := map[string]func(c *net.TCPConn){
		"other host": func(c *net.TCPConn) { c.Write([]byte("GET / HTTP/1.1\r\nHost: z.example\r\n\r\n")) },
		"not http":   func(c *net.TCPConn) { c.Write([]byte("\x16\x03\x01 tls?")) },
		"too long": func(c *net.TCPConn) {
			c.Write(append([]byte("GET / HTTP/1.1\r\nX-Pad: "), bytes.Repeat([]byte("p"), 300)...))
		},
		"too slow":  func(c *net.TCPConn) { c.Write([]byte("GET / HTTP/1.1\r\n")) },
		"eof first": func(c *net.TCPConn) { c.Write([]byte("GET / HT")); c.CloseWrite() },
	}
	for name, send := range cases {
		t.Run(name, func(t *testing.T) {
			before := rt.Stats().Snapshot().RouteFailures
			c := dial(t, rg.addr)
			send(c)
			got, err := readAll(c)
			if err != nil {
				assert.ErrorContains(t, err, "reset", "closed, not timed out")
			}
			assert.Empty(t, got)
			eventually(t, "failure counted", func() bool { return rt.Stats().Snapshot().RouteFailures == before+1 })
		})
	}
	assert.Empty(t, a.received())
	assert.Equal(t, 0, rg.log.Lines("connect failed"))
	assert.Equal(t, len(cases), rg.log.Lines("proxy: no route;"), "one log line each")
	eventually(t, "sessions closed", func() bool { return rt.Stats().Snapshot().Active == 0 })
}

// A route to a refusing backend is a connect failure, as for a Relay.
func TestRouterBackendRefusing(t *testing.T) {
	rt := &proxy.Router{Route: proxy.Routes(proxy.Rule{Backend: nettest.RefusedAddr(t)})}
	rg := startRouter(t, rt)
	c := dial(t, rg.addr)
	c.Write([]byte("anything"))
	got, _ := readAll(c)
	assert.Empty(t, got)
	eventually(t, "failure counted", func() bool { return rt.Stats().Snapshot().ConnectFailures == 1 })
	assert.Equal(t, 1, rg.log.Lines("backend connect failed"))
}
