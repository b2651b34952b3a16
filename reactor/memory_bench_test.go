package reactor

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The idle-memory benchmark needs 10,000 client sockets besides the
// server's 10,000, more than one process may hold here (20,000 fds), so the
// clients live in a child process: this test binary re-executed with
// EVMACHINE_IDLE_CLIENT set.
const idleClientEnv = "EVMACHINE_IDLE_CLIENT"

func init() {
	if spec := os.Getenv(idleClientEnv); spec != "" {
		os.Exit(runIdleClient(spec))
	}
}

// runIdleClient opens n connections to addr ("addr,n"), says "ready" on
// stdout, and holds them until stdin closes.
func runIdleClient(spec string) int {
	addr, ns, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(ns)
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		c.Close()
	}
	return 0
}

func rssKiB(tb testing.TB) float64 {
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(tb, err)
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, err := strconv.ParseFloat(f[1], 64)
			require.NoError(tb, err)
			return v
		}
	}
	tb.Skip("no VmRSS in /proc/self/status")
	return 0
}

func heapKiB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / 1024
}

// BenchmarkIdleConnMemory holds 10,000 idle echo connections and reports
// the server's growth per connection: Go heap (HeapAlloc after GC) and RSS.
// Target: at most 0.5 KiB per connection. b.N is not used: one measurement
// per run (use -count for several).
func BenchmarkIdleConnMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	const n = 10000
	r, err := New()
	require.NoError(b, err)
	l, err := r.Listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return benchEcho{} })
	require.NoError(b, err)
	count := make(chan int, 1)
	go r.Run()
	defer r.Stop()
	waitCount := func(want int) {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			r.NextTick(func() { count <- r.ConnectionCount() })
			if <-count == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.Fatalf("connection count did not reach %d", want)
	}

	heap0, rss0 := heapKiB(), rssKiB(b)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleClientEnv+"="+l.Addr().String()+","+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err)
	require.Equal(b, "ready\n", line)
	waitCount(n)
	heap1, rss1 := heapKiB(), rssKiB(b)
	b.ReportMetric((heap1-heap0)/n, "heapKiB/conn")
	b.ReportMetric((rss1-rss0)/n, "rssKiB/conn")
	b.ReportMetric(0, "ns/op")
	stdin.Close()
	waitCount(0)
}
