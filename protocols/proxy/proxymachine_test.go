package proxy_test

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/reactortest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// ProxyMachine's test suite (test/proxymachine_test.rb) with its config
// (test/configs/simple.rb), one Go test per "should": a Router whose
// Commands is simple.rb's proxy block, in front of two of the suite's test
// daemons (TestConnection) on loopback.

// pmMessages are the bytes simple.rb's routes send a daemon; a daemon reads
// until it has one of them.
var pmMessages = []string{"a", "b", "ccc", "g2", strings.Repeat("e", 2048) + "f", "sleep 3"}

// pmDaemon is test_helper.rb's TestConnection: it answers "PORT:DATA" and
// closes. "sleep 3" is never answered (the test ends first); got gets each
// request.
type pmDaemon struct {
	addr, port string
	got        chan string
}

func newPMDaemon(t *testing.T) *pmDaemon {
	d := &pmDaemon{got: make(chan string, 16)}
	release := make(chan struct{})
	d.addr = serve(t, func(c *net.TCPConn) {
		var in []byte
		buf := make([]byte, 4096)
		for !pmComplete(in) {
			n, err := c.Read(buf)
			in = append(in, buf[:n]...)
			if err != nil {
				break
			}
		}
		d.got <- string(in)
		if strings.HasPrefix(string(in), "sleep ") {
			select {
			case <-release:
			case <-time.After(watchdog):
			}
			return
		}
		c.Write([]byte(d.port + ":" + string(in)))
	})
	t.Cleanup(func() { close(release) }) // before Serve's cleanup, which waits for the handlers
	_, d.port, _ = net.SplitHostPort(d.addr)
	return d
}

// pmComplete reports whether in is a whole message, or cannot become one.
func pmComplete(in []byte) bool {
	for _, m := range pmMessages {
		if strings.HasPrefix(m, string(in)) && len(in) < len(m) {
			return false
		}
	}
	return len(in) > 0
}

// pmErrors records the error callbacks as simple.rb writes them to its
// proxy_error file.
type pmErrors struct {
	mu  sync.Mutex
	got []string
}

func (e *pmErrors) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, s)
}

func (e *pmErrors) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// simpleRB is test/configs/simple.rb: d80 and d81 are the daemons on 9980
// and 9981, refused the address nobody listens on (9989).
func simpleRB(d80, d81 *pmDaemon, refused string, errs *pmErrors) proxy.CommandFunc {
	connectError := func(remote string) { errs.add("connect error: " + remote) }
	inactivityError := func(remote string) { errs.add("activity error: " + remote) }
	return func(data []byte) proxy.Route {
		switch s := string(data); s {
		case "a":
			return proxy.Route{Remote: d80.addr}
		case "b":
			return proxy.Route{Remote: d81.addr}
		case "c":
			return proxy.Route{Remote: d80.addr, Data: []byte("ccc")}
		case "d":
			return proxy.Route{CloseMessage: []byte("ddd")}
		case strings.Repeat("e", 2048):
			return proxy.Route{} // :noop
		case strings.Repeat("e", 2048) + "f":
			return proxy.Route{Remote: d80.addr}
		case "g":
			return proxy.Route{Remote: d80.addr, Data: []byte("g2"), Reply: []byte("g3-")}
		case "connect reject":
			return proxy.Route{Remote: refused, OnConnectError: connectError}
		case "inactivity":
			return proxy.Route{Remote: d80.addr, Data: []byte("sleep 3"), InactivityTimeout: time.Second,
				OnConnectError: connectError, OnInactivity: inactivityError}
		default:
			if strings.Trim(s, "e") == "" { // 'e' * 2048 coming in pieces: wait
				return proxy.Route{}
			}
			return proxy.Route{Close: true}
		}
	}
}

// pmRig is the suite's setup: the proxy on the fake clock, the daemons,
// the refused address and the error record.
type pmRig struct {
	*rig
	rt       *proxy.Router
	clk      *timer.FakeClock
	d80, d81 *pmDaemon
	refused  string
	errs     *pmErrors
}

func startPM(t *testing.T) *pmRig {
	p := &pmRig{clk: timer.NewFakeClock(time.Unix(1_000_000, 0)), errs: &pmErrors{}}
	p.d80, p.d81, p.refused = newPMDaemon(t), newPMDaemon(t), nettest.RefusedAddr(t)
	p.rt = &proxy.Router{Commands: simpleRB(p.d80, p.d81, p.refused, p.errs)}
	lg := &logBuf{}
	p.rt.Logger = lg.Logger()
	p.rig = startRig(t, lg, p.rt.Handler, reactor.WithClock(p.clk))
	return p
}

// advance moves the fake clock on the loop and lets the timers run.
func (p *pmRig) advance(t *testing.T, d time.Duration) {
	t.Helper()
	p.on(t, func() { p.clk.Advance(d) })
	p.on(t, func() {})
}

// assertProxy is the suite's assert_proxy: send, then read to EOF.
func assertProxy(t *testing.T, addr, send, recv string) {
	t.Helper()
	c := dial(t, addr)
	_, err := c.Write([]byte(send))
	require.NoError(t, err)
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, recv, string(got), "sent %.20q", send)
}

// should "handle simple routing"
func TestProxyMachineSimpleRouting(t *testing.T) {
	p := startPM(t)
	assertProxy(t, p.addr, "a", p.d80.port+":a")
	assertProxy(t, p.addr, "b", p.d81.port+":b")
}

// should "handle connection closing": {:close => true}.
func TestProxyMachineConnectionClosing(t *testing.T) {
	p := startPM(t)
	c := dial(t, p.addr)
	_, err := c.Write([]byte("xxx"))
	require.NoError(t, err)
	got, err := readAll(c)
	if err != nil {
		assert.ErrorContains(t, err, "reset", "closed, not timed out")
	}
	assert.Empty(t, got)
	eventually(t, "the close counted", func() bool { return p.rt.Stats().Snapshot().RouteFailures == 1 })
}

// should "handle rewrite routing": {:remote, :data}.
func TestProxyMachineRewriteRouting(t *testing.T) {
	p := startPM(t)
	assertProxy(t, p.addr, "c", p.d80.port+":ccc")
	assert.Equal(t, "ccc", <-p.d80.got)
}

// should "handle rewrite closing": {:close => "ddd"}.
func TestProxyMachineRewriteClosing(t *testing.T) {
	p := startPM(t)
	assertProxy(t, p.addr, "d", "ddd")
}

// should "handle data plus reply": the reply first, then the backend's
// answer to the rewritten data.
func TestProxyMachineDataPlusReply(t *testing.T) {
	p := startPM(t)
	assertProxy(t, p.addr, "g", "g3-"+p.d80.port+":g2")
}

// should "handle noop": 2048 bytes decide nothing; one more byte routes,
// and the backend gets all of them.
func TestProxyMachineNoop(t *testing.T) {
	p := startPM(t)
	c := dial(t, p.addr)
	_, err := c.Write(bytes.Repeat([]byte("e"), 2048))
	require.NoError(t, err)
	_, err = c.Write([]byte("f"))
	require.NoError(t, err)
	got, err := readAll(c)
	require.NoError(t, err)
	assert.Equal(t, p.d80.port+":"+strings.Repeat("e", 2048)+"f", string(got))
}

// should "call proxy_connect_error when a connection is rejected"
func TestProxyMachineConnectErrorOnReject(t *testing.T) {
	p := startPM(t)
	c := dial(t, p.addr)
	_, err := c.Write([]byte("connect reject"))
	require.NoError(t, err)
	got, _ := readAll(c)
	assert.Empty(t, got)
	eventually(t, "the callback ran", func() bool { return len(p.errs.list()) > 0 })
	assert.Equal(t, []string{"connect error: " + p.refused}, p.errs.list())
	assert.Equal(t, uint64(1), p.rt.Stats().Snapshot().ConnectFailures)
}

// should "call proxy_inactivity_error when initial read times out": the
// daemon is sent "sleep 3" and does not answer within the route's 1 s
// (fake clock).
func TestProxyMachineInactivityErrorOnInitialRead(t *testing.T) {
	p := startPM(t)
	c := dial(t, p.addr)
	_, err := c.Write([]byte("inactivity"))
	require.NoError(t, err)
	assert.Equal(t, "sleep 3", wait(t, p.d80.got, "the daemon's request"))
	p.advance(t, 999*time.Millisecond)
	assert.Empty(t, p.errs.list(), "not before the timeout")
	p.advance(t, 2*time.Millisecond)
	got, _ := readAll(c)
	assert.Empty(t, got)
	eventually(t, "the callback ran", func() bool { return len(p.errs.list()) > 0 })
	assert.Equal(t, []string{"activity error: " + p.d80.addr}, p.errs.list())
}

// should "not consider client disconnect a server error": the client goes
// away (a reset: a FIN alone is a half-close, after which a client may
// still wait for the answer) while the daemon sleeps; 3.1 s later no
// callback has run.
func TestProxyMachineClientDisconnectNotServerError(t *testing.T) {
	p := startPM(t)
	c := dial(t, p.addr)
	_, err := c.Write([]byte("inactivity"))
	require.NoError(t, err)
	assert.Equal(t, "sleep 3", wait(t, p.d80.got, "the daemon's request"))
	require.NoError(t, c.SetLinger(0))
	require.NoError(t, c.Close())
	eventually(t, "the session ended", func() bool { return p.rt.Stats().Snapshot().Active == 0 })
	p.advance(t, 3100*time.Millisecond)
	assert.Empty(t, p.errs.list())
}

// wait receives from ch within the bound.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	return reactortest.Recv(t, ch, waitFor, what)
}
