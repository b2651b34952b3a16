package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:8090/
  1 threads and 10000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   120.50ms   30.20ms   1.20s    90.00%
    Req/Sec    60.00k     5.00k   70.00k    70.00%
  Latency Distribution
     50%  110.00ms
     75%  130.00ms
     90%  150.00ms
     99%    1.02s
  600123 requests in 10.01s, 80.00MB read
  Socket errors: connect 12, read 3, write 0, timeout 5
  Non-2xx or 3xx responses: 7
Requests/sec:  59952.35
Transfer/sec:      7.99MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	require.NoError(t, err)
	assert.Equal(t, int64(600123), r.Requests)
	assert.Equal(t, 10010*time.Millisecond, r.Elapsed)
	assert.InDelta(t, 59952.35, r.ReqPerSec, 1e-9)
	assert.Equal(t, 110*time.Millisecond, r.P50)
	assert.Equal(t, 1020*time.Millisecond, r.P99)
	assert.Equal(t, int64(20), r.SocketErrors)
	assert.Equal(t, int64(7), r.Non2xx)
	assert.Contains(t, r.ErrorLine, "connect 12")

	_, err = parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n")
	assert.Error(t, err)
}

func TestParseWrkDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"812.00us": 812 * time.Microsecond, "1.50ms": 1500 * time.Microsecond, "2.00s": 2 * time.Second, "1.00m": time.Minute,
	} {
		got, err := parseWrkDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := parseWrkDuration("12h")
	assert.Error(t, err)
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, []int{100, 10_000}, o.conns)
	assert.Equal(t, 3, o.rounds)
	assert.Len(t, o.servers, 4)
	o, err = parseFlags([]string{"-servers", "nethttp,evmachine", "-conns", "10"})
	require.NoError(t, err)
	assert.Equal(t, []int{10}, o.conns)
	require.Len(t, o.servers, 2)
	assert.Equal(t, refStd, o.servers[0].Name)
	_, err = parseFlags([]string{"-servers", "nginx"})
	assert.ErrorContains(t, err, "nginx")
	_, err = parseFlags([]string{"-conns", "0"})
	assert.Error(t, err)
}

// fixture: three rounds at 100 and 10,000 connections, the base figures
// times 0.9, 1.0 and 1.1.
func fixture() *results {
	r := &results{Command: "go run ./bench/http", Revision: "abc", Rounds: 3, Duration: 10 * time.Second, Conns: []int{100, 10_000},
		Threads: 1, WrkVersion: "wrk 4.1.0", Servers: allServers(), Started: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 1, 1, 1, 5, 0, 0, time.UTC)}
	base := map[string]struct{ rate, cpu float64 }{subject: {80_000, 11}, refFast: {90_000, 10.5}, refStd: {45_000, 20}, refNbhtp: {50_000, 18}}
	for _, c := range r.Conns {
		for round := 1; round <= 3; round++ {
			f := []float64{0.9, 1, 1.1}[round-1]
			for _, s := range r.Servers {
				b := base[s.Name]
				r.Samples = append(r.Samples, sample{Server: s.Name, Conns: c, Round: round, ReqPerSec: b.rate * f, Requests: int64(b.rate * f * 10),
					CPUPerReqUs: b.cpu * f, P99ms: 2, PeakRSSMiB: 14, WrkCPUShare: 0.95, ServerShare: 0.99})
			}
		}
	}
	return r
}

func TestTargetsAndReport(t *testing.T) {
	r := fixture()
	ts := r.targets()
	require.Len(t, ts, 10)
	assert.False(t, ts[0].met, "11 µs is above fasthttp's 10.5")
	assert.Contains(t, ts[0].figure, "11.00 vs 10.50 µs (1.05×); round by round 1.05× to 1.05×, median 1.05×")
	assert.False(t, ts[0].noisy, "every round agrees")
	for _, tg := range ts[1:5] {
		assert.True(t, tg.met, tg.text)
	}
	r.Profiles = []profile{{Server: refFast, Conns: 100, ReqPerSec: 90_000, CPUPerReqUs: 11, Top: "flat  flat%   sum%        cum   cum%"}}
	md := render(r, "## Notes\n\nhand-written")
	for _, want := range []string{
		"| evmachine protocols/http | 80,000 ±10% | 0.89× | 1.78× |",
		"- ❌ **missed**: 100 connections: server CPU per request at or below fasthttp's",
		"## 10,000 connections",
		"wrk was at or near its core",
		"hand-written",
		"### fasthttp\n\nRun once more under `pprof.StartCPUProfile`, at 100 connections",
	} {
		assert.Contains(t, md, want)
	}
	dir := t.TempDir()
	require.NoError(t, writeOutputs(dir, r))
	back, err := loadResults(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	assert.Equal(t, r.Samples, back.Samples, "results.json keeps every sample")

	r.Samples[0].Err = "boom"
	assert.Contains(t, render(r, ""), "evmachine, round 1 failed: boom")
	assert.True(t, math.IsNaN(mRate(r.Samples[0])))
}

// built holds the servers built once for the tests, in a directory
// TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bins map[string]string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func buildAll(t *testing.T) map[string]string {
	t.Helper()
	built.once.Do(func() {
		root, err := childproc.ModuleRoot(".")
		if err != nil {
			built.err = err
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "evmachine-bench-http-test-"); built.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		built.bins, built.err = buildServers(ctx, root, built.dir, allServers())
	})
	require.NoError(t, built.err)
	return built.bins
}

// TestServersAnswer starts every server and sends it two requests on one
// keep-alive connection: each must answer 200 "Hello, World!".
func TestServersAnswer(t *testing.T) {
	bins := buildAll(t)
	for _, s := range allServers() {
		t.Run(s.Name, func(t *testing.T) {
			addr, err := childproc.FreeAddr()
			require.NoError(t, err)
			p, err := startProc([]string{bins[s.Name], "-addr", addr}, []string{"GOMAXPROCS=1"})
			require.NoError(t, err)
			defer p.Stop(5 * time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, p.WaitListening(ctx, addr, 15*time.Second))
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			for range 2 {
				resp, err := cl.Get("http://" + addr + "/")
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, "Hello, World!", string(body))
				assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"), resp.Header.Get("Content-Type"))
			}
		})
	}
}

// TestDriverSmoke runs the measurement itself (wrk, /proc, pinning) for a
// second at 10 connections against every server and writes the report.
func TestDriverSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs wrk")
	}
	wrk, err := findWrk()
	if err != nil {
		t.Skip(err)
	}
	taskset, err := tasksetPath()
	if err != nil {
		t.Skip(err)
	}
	bins := buildAll(t)
	m := &measurer{wrk: wrk, taskset: taskset, serverCPU: 0, wrkCPU: 1, threads: 1, duration: time.Second,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := &results{Command: "go test ./bench/http", Rounds: 1, Duration: time.Second, Conns: []int{10}, Threads: 1, Servers: allServers(),
		Started: time.Now()}
	for _, s := range allServers() {
		smp := m.measure(ctx, s, bins[s.Name], 10, nil)
		assert.Empty(t, smp.Err, s.Name)
		assert.Positive(t, smp.Requests, s.Name)
		assert.Zero(t, smp.Errors, "%s: %s", s.Name, smp.ErrorLine)
		assert.Positive(t, smp.PeakRSSMiB, s.Name)
		assert.Positive(t, smp.P99ms, s.Name)
		smp.Round = 1
		r.Samples = append(r.Samples, smp)
	}
	r.Finished = time.Now()
	dir := t.TempDir()
	require.NoError(t, writeOutputs(dir, r))
	assert.FileExists(t, filepath.Join(dir, "RESULTS.md"))
	assert.FileExists(t, filepath.Join(dir, "results.json"))
}
