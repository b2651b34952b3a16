package memcache

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
)

// watchdog bounds every wait of these tests: a hang fails instead.
const watchdog = 20 * time.Second

// memcached is a memcached process started by a test on a loopback port.
type memcached struct {
	cmd  *exec.Cmd
	port int
	addr string
	done chan struct{} // closed when the process has been waited for
}

// startMemcached starts memcached on a free loopback port (port 0) or on
// port, and waits until it accepts connections. It is killed, by its PID,
// in t.Cleanup. Without a memcached binary the test skips.
func startMemcached(t testing.TB, port int, args ...string) *memcached {
	t.Helper()
	bin := memcachedBinary(t)
	for attempt := 0; ; attempt++ {
		p := port
		if p == 0 {
			p = freePort(t)
		}
		m := &memcached{port: p, addr: fmt.Sprintf("127.0.0.1:%d", p), done: make(chan struct{})}
		argv := []string{"-l", "127.0.0.1", "-p", fmt.Sprint(p), "-U", "0"}
		if os.Geteuid() == 0 {
			argv = append(argv, "-u", "nobody") // memcached refuses to run as root otherwise
		}
		m.cmd = exec.Command(bin, append(argv, args...)...)
		var stderr nettest.Buffer
		m.cmd.Stderr = &stderr
		require.NoError(t, m.cmd.Start())
		go func() { m.cmd.Wait(); close(m.done) }()
		t.Cleanup(m.kill)
		if m.waitReady() {
			return m
		}
		m.kill()
		require.Less(t, attempt, 5, "memcached did not start on %s: %s", m.addr, stderr.String())
		if port != 0 {
			time.Sleep(100 * time.Millisecond) // the port may still be held by the killed one
		}
	}
}

// waitReady waits until the server answers version, or it exited.
func (m *memcached) waitReady() bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", m.addr, time.Second); err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(c, "version\r\n")
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "VERSION ") {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// kill stops the process by its PID (SIGKILL: a server that goes away) and
// waits for it.
func (m *memcached) kill() {
	select {
	case <-m.done:
		return
	default:
	}
	syscall.Kill(m.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-m.done:
	case <-time.After(watchdog):
	}
}

// stats reads the server's general stats over a plain connection.
func (m *memcached) stats(t testing.TB) map[string]string {
	t.Helper()
	c, err := net.DialTimeout("tcp", m.addr, time.Second)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(watchdog))
	fmt.Fprintf(c, "stats\r\n")
	br := bufio.NewReader(c)
	st := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\r\n")
		if line == "END" {
			return st
		}
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "STAT" {
			st[f[1]] = f[2]
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// onLoop runs fn on the reactor goroutine and waits for it.
func onLoop(t testing.TB, r *reactor.Reactor, fn func()) {
	t.Helper()
	ran := make(chan struct{})
	r.NextTick(func() { defer close(ran); fn() })
	select {
	case <-ran:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: the loop did not run a tick")
	}
}

// dial starts a reactor and a Client for addr on it.
func dial(t testing.TB, addr string, opts ...Option) (*reactor.Reactor, *Client) {
	t.Helper()
	r := reactortest.Start(t)
	var c *Client
	onLoop(t, r, func() {
		var err error
		// A generous timeout: a loaded machine must not fail a test that is
		// not about timeouts (those pass their own).
		defaults := []Option{WithLogger(slog.New(slog.DiscardHandler)), WithTimeout(10 * time.Second)}
		c, err = Dial(r, addr, append(defaults, opts...)...)
		require.NoError(t, err)
	})
	t.Cleanup(func() { r.NextTick(c.Close) })
	return r, c
}

// await issues a command on the loop with start and waits for its
// callback's result.
func await[T any](t testing.TB, r *reactor.Reactor, start func(done func(T))) T {
	t.Helper()
	ch := make(chan T, 1)
	r.NextTick(func() { start(func(v T) { ch <- v }) })
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: no callback")
		panic("unreachable")
	}
}

// result is a callback's pair of arguments.
type result[T any] struct {
	v   T
	err error
}

func doErr(t testing.TB, r *reactor.Reactor, cmd func(cb func(error))) error {
	t.Helper()
	return await(t, r, func(done func(error)) { cmd(done) })
}

func doGet(t testing.TB, r *reactor.Reactor, c *Client, key string) result[*Item] {
	t.Helper()
	return await(t, r, func(done func(result[*Item])) {
		c.Get(key, func(it *Item, err error) { done(result[*Item]{it, err}) })
	})
}

func doGets(t testing.TB, r *reactor.Reactor, c *Client, key string) result[*Item] {
	t.Helper()
	return await(t, r, func(done func(result[*Item])) {
		c.Gets(key, func(it *Item, err error) { done(result[*Item]{it, err}) })
	})
}

func doArith(t testing.TB, r *reactor.Reactor, cmd func(cb func(uint64, error))) result[uint64] {
	t.Helper()
	return await(t, r, func(done func(result[uint64])) {
		cmd(func(n uint64, err error) { done(result[uint64]{n, err}) })
	})
}

// stats returns the Client's counters, read on the loop.
func stats(t testing.TB, r *reactor.Reactor, c *Client) Stats {
	var s Stats
	onLoop(t, r, func() { s = c.Stats() })
	return s
}

func timeAfterWatchdog() <-chan time.Time { return time.After(watchdog) }

// memcachedBinary returns the memcached program's path. Without one the
// test skips, except under CI (CI set), where .ci/run must have installed
// it: there it fails.
func memcachedBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("memcached is missing under CI; .ci/run must install the Debian package memcached")
		}
		t.Skip("memcached is not installed (Debian: apt-get install memcached); skipping")
	}
	return bin
}
