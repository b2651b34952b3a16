package proxy_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// ProxyMachine's example configs (examples/*.rb and the README's), as
// CommandFuncs, each tried against loopback backends.

// gitRequest matches examples/git.rb's Git protocol header.
var gitRequest = regexp.MustCompile(`^....git-upload-pack /([\w\.\-]+)/[\w\.\-]+\x00host=(.+)\x00`)

// gitRB is examples/git.rb: the user name in the Git request picks the
// backend (lookup); until the header is complete, wait.
func gitRB(lookup func(name string) string) proxy.CommandFunc {
	return func(data []byte) proxy.Route {
		if m := gitRequest.FindSubmatch(data); m != nil {
			return proxy.Route{Remote: lookup(string(m[1]))}
		}
		return proxy.Route{} // {:noop => true}
	}
}

// examples/git.rb: a header split over two writes waits, then goes, whole,
// to the backend the user name looks up.
func TestProxyMachineExampleGit(t *testing.T) {
	git := newTaggedBackend(t, "git:")
	var mu sync.Mutex
	var names []string
	rt := &proxy.Router{Commands: gitRB(func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, name)
		return git.addr // GitRouter.lookup: "localhost:9418"
	})}
	rg := startRouter(t, rt)
	req := "0032git-upload-pack /mojombo/proxymachine.git\x00host=localhost\x00"
	c := dial(t, rg.addr)
	_, err := c.Write([]byte(req[:20]))
	require.NoError(t, err)
	_, err = c.Write([]byte(req[20:]))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, "git:"+req, string(got))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"mojombo"}, names)
}

var (
	socks4Granted  = []byte("\x00\x5a\x00\x00\x00\x00\x00\x00")
	socks4Rejected = []byte("\x00\x5b\x00\x00\x00\x00\x00\x00")
)

// socks4 is the README's "SOCKS4 Proxy in 7 Lines".
func socks4(data []byte) proxy.Route {
	if len(data) < 9 {
		return proxy.Route{}
	}
	v, c := data[0], data[1]
	port, ip := binary.BigEndian.Uint16(data[2:4]), net.IP(data[4:8])
	if v != 4 || c != 1 {
		return proxy.Route{CloseMessage: socks4Rejected}
	}
	idx := bytes.IndexByte(data[8:], 0)
	if idx < 0 {
		return proxy.Route{}
	}
	return proxy.Route{
		Remote: net.JoinHostPort(ip.String(), strconv.Itoa(int(port))),
		Reply:  socks4Granted,
		Data:   data[8+idx+1:],
	}
}

// The README's SOCKS4 proxy: the request names a loopback backend; the
// client gets the grant, then the backend's answer to the bytes after the
// request. A request that is not SOCKS4 CONNECT gets the rejection and is
// closed.
func TestProxyMachineExampleSOCKS4(t *testing.T) {
	echo := newTaggedBackend(t, "echo:")
	host, portStr, err := net.SplitHostPort(echo.addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)
	rg := startRouter(t, &proxy.Router{Commands: socks4})

	req := []byte{4, 1, byte(port >> 8), byte(port)}
	req = append(req, net.ParseIP(host).To4()...)
	c := dial(t, rg.addr)
	_, err = c.Write(req) // 8 bytes: not enough yet
	require.NoError(t, err)
	_, err = c.Write([]byte("tom\x00hello"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, string(socks4Granted)+"echo:hello", string(got))

	c = dial(t, rg.addr)
	_, err = c.Write([]byte("\x05\x01\x00\x00\x00\x00\x00\x00\x00"))
	require.NoError(t, err)
	got, err = readAll(c)
	require.NoError(t, err)
	assert.Equal(t, socks4Rejected, got)
}

// examples/transparent.rb and examples/long.rb: every connection to one
// remote (google.com:80, mirrors.cat.pdx.edu:80 there; a loopback backend
// here), whatever it sends.
func TestProxyMachineExampleTransparent(t *testing.T) {
	web := newTaggedBackend(t, "HTTP/1.0 200 OK\r\n\r\n")
	rg := startRouter(t, &proxy.Router{Commands: func([]byte) proxy.Route { return proxy.Route{Remote: web.addr} }})
	for _, req := range []string{"GET / HTTP/1.0\r\n\r\n", "x"} {
		c := dial(t, rg.addr)
		_, err := c.Write([]byte(req))
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		got, err := readAll(c)
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.0 200 OK\r\n\r\n"+req, string(got))
	}
}

// A route's Reply while waiting, with Data forgetting what was seen: a
// handshake answered by the proxy before it routes on what comes next.
func TestRouterCommandsReplyWhileWaiting(t *testing.T) {
	b := newTaggedBackend(t, "B:")
	var seen []string // on the loop
	rt := &proxy.Router{Commands: func(data []byte) proxy.Route {
		seen = append(seen, string(data))
		switch {
		case string(data) == "HELLO\n":
			return proxy.Route{Reply: []byte("WHO?\n"), Data: []byte{}}
		case bytes.HasSuffix(data, []byte("\n")):
			return proxy.Route{Remote: b.addr}
		}
		return proxy.Route{}
	}}
	rg := startRouter(t, rt)
	c := dial(t, rg.addr)
	_, err := c.Write([]byte("HELLO\n"))
	require.NoError(t, err)
	who := make([]byte, 5)
	_, err = io.ReadFull(c, who)
	require.NoError(t, err)
	assert.Equal(t, "WHO?\n", string(who))
	_, err = c.Write([]byte("bob\n"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, "B:bob\n", string(got))
	rg.on(t, func() { assert.Equal(t, []string{"HELLO\n", "bob\n"}, seen) })
}

// A Close after a Reply (and a CloseMessage) lets them reach the client
// first.
func TestRouterCommandsCloseAfterReply(t *testing.T) {
	rg := startRouter(t, &proxy.Router{Commands: func(data []byte) proxy.Route {
		return proxy.Route{Reply: []byte("no-"), Close: true, CloseMessage: []byte(map[bool]string{true: "bye"}[data[0] == 'm'])}
	}})
	for send, want := range map[string]string{"x": "no-", "m": "no-bye"} {
		c := dial(t, rg.addr)
		_, err := c.Write([]byte(send))
		require.NoError(t, err)
		got, err := readAll(c)
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
}

// fakeRouter runs a Router on the fake clock; routed gets each Route's
// Remote as it is decided (on the loop, right before the connect starts).
func fakeRouter(t *testing.T, route proxy.Route) (*rig, *proxy.Router, *timer.FakeClock, chan string) {
	clk := timer.NewFakeClock(time.Unix(1_000_000, 0))
	routed := make(chan string, 64)
	rt := &proxy.Router{Commands: func([]byte) proxy.Route {
		select { // on the loop: never block it on the test
		case routed <- route.Remote:
		default:
		}
		return route
	}}
	lg := &logBuf{}
	rt.Logger = lg.Logger()
	return startRig(t, lg, rt.Handler, reactor.WithClock(clk)), rt, clk, routed
}

func advance(t *testing.T, rg *rig, clk *timer.FakeClock, d time.Duration) {
	t.Helper()
	rg.on(t, func() { clk.Advance(d) })
	rg.on(t, func() {})
}

// ProxyMachine retries a failed connect while the client waits: here the
// backend comes up after the first refusal, and the retry (on the fake
// clock) reaches it.
func TestRouterRetriesFailedConnect(t *testing.T) {
	addr := nettest.RefusedAddr(t)
	var errs []string // on the loop
	rg, rt, clk, routed := fakeRouter(t, proxy.Route{Remote: addr, Retries: 3, RetryDelay: 100 * time.Millisecond,
		OnConnectError: func(r string) { errs = append(errs, r) }})
	c := dial(t, rg.addr)
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	wait(t, routed, "the route")
	eventually(t, "the first connect failed", func() bool { return rg.log.Lines("retrying") == 1 })

	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		b, err := ln.Accept()
		if err != nil {
			return
		}
		defer b.Close()
		b.SetDeadline(time.Now().Add(waitFor))
		buf := make([]byte, 1)
		io.ReadFull(b, buf)
		b.Write(append([]byte("up:"), buf...))
	}()
	advance(t, rg, clk, 100*time.Millisecond)
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, "up:x", string(got))
	rg.on(t, func() { assert.Empty(t, errs) })
	assert.Zero(t, rt.Stats().Snapshot().ConnectFailures)
}

// Once every retry failed, the client is closed and OnConnectError runs
// once.
func TestRouterRetriesExhausted(t *testing.T) {
	addr := nettest.RefusedAddr(t)
	errs := make(chan string, 4)
	rg, rt, clk, routed := fakeRouter(t, proxy.Route{Remote: addr, Retries: 2,
		OnConnectError: func(r string) { errs <- r }})
	c := dial(t, rg.addr)
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	wait(t, routed, "the route")
	for i := 1; i <= 2; i++ {
		eventually(t, "connect "+strconv.Itoa(i)+" failed", func() bool { return rg.log.Lines("retrying") == i })
		assert.Empty(t, errs)
		advance(t, rg, clk, proxy.DefaultRetryDelay)
	}
	assert.Equal(t, addr, wait(t, errs, "OnConnectError"))
	got, _ := readAll(c)
	assert.Empty(t, got)
	assert.Equal(t, uint64(1), rt.Stats().Snapshot().ConnectFailures)
	assert.Empty(t, errs, "called once")
}

// A route's ConnectTimeout bounds the connect (fake clock): a backend that
// never answers the SYN is given up after it, with OnConnectError.
func TestRouterRouteConnectTimeout(t *testing.T) {
	stalled := nettest.StalledAddr(t)
	errs := make(chan string, 4)
	rg, _, clk, routed := fakeRouter(t, proxy.Route{Remote: stalled, ConnectTimeout: 2 * time.Second,
		OnConnectError: func(r string) { errs <- r }})
	c := dial(t, rg.addr)
	_, err := c.Write([]byte("x"))
	require.NoError(t, err)
	wait(t, routed, "the route")
	rg.on(t, func() {}) // the connect started in the routing call
	advance(t, rg, clk, 1900*time.Millisecond)
	assert.Empty(t, errs, "not before the timeout")
	advance(t, rg, clk, 200*time.Millisecond)
	assert.Equal(t, stalled, wait(t, errs, "OnConnectError"))
	got, _ := readAll(c)
	assert.Empty(t, got)
	assert.Equal(t, 1, rg.log.Lines("connect timed out"))
}
