package loadgen

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve runs a goroutine-per-connection server on loopback whose reply to
// the n-th chunk (counted per connection, from 1) is made by reply.
func serve(t *testing.T, reply func(conn net.Conn, n int, p []byte) bool) string {
	t.Helper()
	return nettest.Serve(t, func(c *net.TCPConn) {
		buf := make([]byte, 64<<10)
		for n := 1; ; n++ {
			k, err := c.Read(buf)
			if err != nil || !reply(c, n, buf[:k]) {
				return
			}
		}
	})
}

func echo(c net.Conn, _ int, p []byte) bool { _, err := c.Write(p); return err == nil }

// runBounded runs the generator with a watchdog.
func runBounded(t *testing.T, cfg Config) (Result, error, []Progress) {
	t.Helper()
	type out struct {
		res Result
		err error
	}
	var progress []Progress
	done := make(chan out, 1)
	go func() {
		res, err := Run(cfg, func(p Progress) { progress = append(progress, p) })
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err, progress
	case <-time.After(20 * time.Second):
		t.Fatal("watchdog: the load generator did not finish within 20 s")
	}
	return Result{}, nil, nil
}

func pingPong(addr string, conns, size int) Config {
	return Config{Addr: addr, Conns: conns, Size: size, Warmup: 100 * time.Millisecond,
		Duration: 400 * time.Millisecond, Parallel: 4, Progress: 100 * time.Millisecond, ConnectTimeout: 5 * time.Second}
}

func TestPingPongAgainstAnEchoServer(t *testing.T) {
	cfg := pingPong(serve(t, echo), 10, 64)
	if runtime.GOOS == "linux" {
		cfg.ServerPID = os.Getpid() // the server runs in this process
	}
	res, err, progress := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, 10, res.Connected)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
	assert.Positive(t, res.RoundTrips)
	assert.InDelta(t, float64(res.RoundTrips)/res.WindowSeconds, res.RTPerSec, 1e-6)
	assert.InDelta(t, res.RTPerSec*64/1e6, res.MBPerSec, 1e-9)
	assert.Positive(t, res.P50us)
	assert.LessOrEqual(t, res.P50us, res.P99us)
	assert.LessOrEqual(t, res.P99us, res.P999us)
	assert.LessOrEqual(t, res.P999us, res.MaxUs)
	assert.GreaterOrEqual(t, res.WindowSeconds, 0.4)
	assert.Positive(t, res.ConnectSeconds)
	assert.NotEmpty(t, progress, "progress is emitted while the run goes on")
	if runtime.GOOS == "linux" {
		assert.Positive(t, res.ServerRSSEnd)
		assert.Positive(t, res.ServerRSSBase)
		assert.Positive(t, res.ServerThreads)
		assert.GreaterOrEqual(t, res.LoadgenCPUShare, 0.0)
	}
}

func TestLargeMessagesArriveInPieces(t *testing.T) {
	// The server echoes in 1,000-byte pieces: replies reach the generator
	// split, and must still be reassembled and checked.
	addr := serve(t, func(c net.Conn, _ int, p []byte) bool {
		for len(p) > 0 {
			k := min(len(p), 1000)
			if _, err := c.Write(p[:k]); err != nil {
				return false
			}
			p = p[k:]
		}
		return true
	})
	res, err, _ := runBounded(t, pingPong(addr, 1, 16<<10))
	require.NoError(t, err)
	assert.Zero(t, res.Errors, "samples: %v", res.ErrorSamples)
	assert.Positive(t, res.RoundTrips)
}

func TestCorruptedReplyIsAnError(t *testing.T) {
	addr := serve(t, func(c net.Conn, n int, p []byte) bool {
		if n == 3 { // the second request after the connect phase
			p[len(p)-1] ^= 0xff
		}
		return echo(c, n, p)
	})
	res, err, _ := runBounded(t, pingPong(addr, 2, 64))
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Mismatches)
	assert.Equal(t, int64(2), res.Errors)
	require.NotEmpty(t, res.ErrorSamples)
	assert.Contains(t, res.ErrorSamples[0], "byte 63 of the reply")
	assert.Zero(t, res.RoundTrips, "no connection survives to be measured")
}

func TestExtraBytesAreAnError(t *testing.T) {
	addr := serve(t, func(c net.Conn, n int, p []byte) bool {
		if n == 1 {
			p = append(p, 'x')
		}
		return echo(c, n, p)
	})
	res, err, _ := runBounded(t, pingPong(addr, 1, 64))
	require.Error(t, err, "the only connection failed its first round trip")
	assert.Equal(t, int64(1), res.Mismatches)
	assert.Contains(t, res.ErrorSamples[0], "longer than the request")
}

func TestDroppedConnectionIsAnError(t *testing.T) {
	addr := serve(t, func(c net.Conn, n int, p []byte) bool {
		return n < 3 && echo(c, n, p) // close after two replies
	})
	res, err, _ := runBounded(t, pingPong(addr, 3, 64))
	require.NoError(t, err)
	assert.Equal(t, 3, res.Connected)
	assert.Equal(t, int64(3), res.Dropped)
	assert.Equal(t, int64(3), res.Errors)
}

func TestRefusedConnectsAreCounted(t *testing.T) {
	res, err, _ := runBounded(t, pingPong(nettest.RefusedAddr(t), 5, 64))
	require.Error(t, err)
	assert.Equal(t, int64(5), res.ConnectErrors)
	assert.Zero(t, res.Connected)
}

func TestIdleHoldsConnections(t *testing.T) {
	var mu sync.Mutex
	chunks := 0
	addr := serve(t, func(c net.Conn, n int, p []byte) bool {
		mu.Lock()
		chunks++
		mu.Unlock()
		return echo(c, n, p)
	})
	cfg := Config{Addr: addr, Conns: 20, Size: 64, Idle: true, Settle: 200 * time.Millisecond, Parallel: 8}
	res, err, _ := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, 20, res.Connected)
	assert.Zero(t, res.Errors)
	assert.Zero(t, res.RoundTrips, "idle runs have no measured window")
	mu.Lock()
	assert.Equal(t, 20, chunks, "one round trip per connection, then nothing")
	mu.Unlock()
}

func TestValidate(t *testing.T) {
	err := Config{}.Validate()
	require.Error(t, err)
	for _, want := range []string{"no address", "conns 0", "size 0", "duration", "parallel 0"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NoError(t, pingPong("127.0.0.1:1", 1, 64).Validate())
	_, err = Run(Config{}, nil)
	assert.Error(t, err)
	assert.False(t, errors.Is(err, io.EOF))
}

func TestLocalAddrsSpreadTheConnections(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is loopback on Linux only")
	}
	var mu sync.Mutex
	peers := map[string]int{}
	addr := serve(t, func(c net.Conn, n int, p []byte) bool {
		if n == 1 {
			mu.Lock()
			peers[c.RemoteAddr().(*net.TCPAddr).IP.String()]++
			mu.Unlock()
		}
		return echo(c, n, p)
	})
	cfg := pingPong(addr, 6, 64)
	cfg.LocalAddrs = []string{"127.0.0.1:0", "127.0.0.2:0", "127.0.0.3:0"}
	res, err, _ := runBounded(t, cfg)
	require.NoError(t, err)
	assert.Zero(t, res.Errors)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"127.0.0.1": 2, "127.0.0.2": 2, "127.0.0.3": 2}, peers)
}
