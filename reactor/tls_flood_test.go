package reactor

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// tlsFloodChild is a TLS echo server with the default handshake limit
// and a long handshake timeout; it prints "addr HOST:PORT", then "stats"
// lines (Conns, goroutines, RSS in KiB, handshakes running and waiting)
// every 100 ms until stdin closes.
func tlsFloodChild() int {
	raiseFileLimit()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srvCfg, _ := tlsTestConfigs(nopTB{})
	r, err := New(WithLogger(log))
	if err != nil {
		return 1
	}
	l, err := r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return HandlerFuncs{} },
		WithTLS(srvCfg), WithTLSHandshakeTimeout(time.Minute), WithBacklog(8192))
	if err != nil {
		log.Error("listen", "err", err)
		return 1
	}
	fmt.Printf("addr %s\n", l.Addr())
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop); r.Stop() }()
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			r.NextTick(func() {
				rss, _ := procStatusKiB("VmRSS")
				fmt.Printf("stats conns=%d goroutines=%d rss=%d active=%d waiting=%d\n",
					r.ConnectionCount(), runtime.NumGoroutine(), rss, r.tlsActive, len(r.tlsQueue))
			})
		}
	}()
	if err := r.Run(); err != nil {
		return 1
	}
	return 0
}

// TestTLSHandshakeFlood: 19,000 connections each send a ClientHello and
// never finish their handshake. The server runs DefaultTLSHandshakeLimit
// handshake goroutines and keeps the rest waiting, so its goroutines stay
// bounded whatever the flood; its memory per waiting Conn is reported.
func TestTLSHandshakeFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("19,000 connections")
	}
	raiseFileLimit()
	const n = 19000
	cmd, lines, stdin, _, _ := startChild(t, "tlsflood")
	_ = cmd
	addr := childLine(t, lines, "addr ")
	hello := clientHello(t)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	base := parseStats(t, childLine(t, lines, "stats "))
	for len(conns) < n {
		c, err := net.DialTimeout("tcp", addr, waitTimeout)
		require.NoError(t, err, "connection %d", len(conns))
		_, err = c.Write(hello)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	var st map[string]int
	deadline := time.Now().Add(2 * waitTimeout)
	for {
		st = parseStats(t, childLine(t, lines, "stats "))
		if st["conns"] == n && st["active"] == DefaultTLSHandshakeLimit {
			break
		}
		require.True(t, time.Now().Before(deadline), "watchdog: stats %v", st)
	}
	t.Logf("%d stalled handshakes: %d running, %d waiting; server goroutines %d (%d before), RSS %.1f MiB (%.2f KiB per connection)",
		n, st["active"], st["waiting"], st["goroutines"], base["goroutines"], float64(st["rss"])/1024,
		float64(st["rss"]-base["rss"])/n)
	assert.Equal(t, n-DefaultTLSHandshakeLimit, st["waiting"])
	assert.LessOrEqual(t, st["goroutines"], base["goroutines"]+DefaultTLSHandshakeLimit+8,
		"a goroutine per running handshake, none for the waiting ones")
	stdin.Close()
}

// clientHello returns the first flight of a TLS client (its ClientHello).
func clientHello(t *testing.T) []byte {
	_, cliCfg := tlsTestConfigs(t)
	a, b := net.Pipe()
	go tls.Client(a, cliCfg).Handshake()
	buf := make([]byte, 4096)
	b.SetReadDeadline(time.Now().Add(waitTimeout))
	n, err := b.Read(buf)
	require.NoError(t, err)
	a.Close()
	b.Close()
	return bytes.Clone(buf[:n])
}

func parseStats(t *testing.T, s string) map[string]int {
	m := map[string]int{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		require.True(t, ok, s)
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		m[k] = n
	}
	return m
}

// raiseFileLimit lifts the soft open-file limit to the hard one.
func raiseFileLimit() {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
}

// procStatusKiB returns a "Vm..." field of /proc/self/status in KiB.
func procStatusKiB(field string) (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.Fields(rest)[0])
		}
	}
	return 0, fmt.Errorf("no %s", field)
}

// nopTB lets test helpers run in a child process, outside a test.
type nopTB struct{ testing.TB }

func (nopTB) Helper()               {}
func (nopTB) Errorf(string, ...any) { os.Exit(3) }
func (nopTB) FailNow()              { os.Exit(3) }
