package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/evmachine/evmachine/bench/internal/childproc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary act as the load generator: the runner
// starts its own executable with EVBENCH_ROLE=loadgen, as the real
// command does.
func TestMain(m *testing.M) {
	if isLoadgenRole() {
		os.Exit(loadgenRole())
	}
	os.Exit(m.Run())
}

// TestQuickSmoke is the -quick smoke run CI affords: one short ping-pong
// scenario against evmachine's echo server and Go's goroutine-per-
// connection server, built without -race and run as separate processes,
// through the same runner, load-generator process and report as
// `go run ./bench`. Both must serve round trips with no error at all.
func TestQuickSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc")
	}
	sc := Scenario{ID: "S1", Title: "smoke: 20 connections, 64-byte ping-pong", Conns: 20, Size: 64,
		Warmup: 200 * time.Millisecond, Duration: time.Second}
	res, log := runSmoke(t, subject+","+refStd, []Scenario{sc}, "go test ./bench -run TestQuickSmoke")

	require.Len(t, res.Records, 2)
	for _, r := range res.Records {
		assert.Empty(t, r.Err, r.Server)
		x := r.Result
		assert.Equal(t, 20, x.Connected, r.Server)
		assert.Positive(t, x.RoundTrips, "%s served no round trip", r.Server)
		assert.Zero(t, x.Errors, "%s: %v", r.Server, x.ErrorSamples)
		assert.Zero(t, x.Mismatches, r.Server)
		assert.Positive(t, x.ServerCPUSeconds+x.LoadgenCPUSeconds, "%s: /proc was read", r.Server)
		assert.Positive(t, x.ServerRSSEnd, r.Server)
		assert.Positive(t, x.P99us, r.Server)
	}

	dir := t.TempDir()
	require.NoError(t, writeOutputs(log, dir, res, true))
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| evmachine (1 loop) |")
	assert.Contains(t, string(md), "| Go net (goroutine/conn) |")
}

// TestQuickSmokeTLS is the same for the TLS scenarios: a short TLS ping-
// pong and a short churn of new TLS connections against evmachine's TLS
// server and Go's crypto/tls server, with the runner's certificate
// verified by the load generator. Every run must be served without error.
func TestQuickSmokeTLS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc")
	}
	scs := []Scenario{
		{ID: "T1", Title: "smoke: 20 TLS connections, 64-byte ping-pong", Conns: 20, Size: 64, TLS: true,
			Warmup: 200 * time.Millisecond, Duration: time.Second},
		{ID: "T4", Title: "smoke: new TLS connections, 4 at a time", Conns: 4, Size: 64, TLS: true, Churn: true,
			Warmup: 200 * time.Millisecond, Duration: time.Second},
	}
	res, log := runSmoke(t, subjectTLS+","+refTLS+","+refGnet, scs, "go test ./bench -run TestQuickSmokeTLS")

	require.Len(t, res.Records, 4, "gnet has no TLS: it runs no TLS scenario")
	for _, r := range res.Records {
		assert.Empty(t, r.Err, r.Server)
		x := r.Result
		assert.Zero(t, x.Errors, "%s %s: %v", r.Scenario, r.Server, x.ErrorSamples)
		assert.Positive(t, x.RoundTrips, "%s %s served no round trip", r.Scenario, r.Server)
		assert.Equal(t, "TLS 1.3", x.TLSVersion, r.Server)
		assert.Positive(t, x.ServerCPUSeconds+x.LoadgenCPUSeconds, "%s: /proc was read", r.Server)
		if r.Scenario == "T4" {
			assert.Positive(t, x.Handshakes, r.Server)
		} else {
			assert.Equal(t, 20, x.Connected, r.Server)
		}
	}

	dir := t.TempDir()
	require.NoError(t, writeOutputs(log, dir, res, true))
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| evmachine TLS (1 loop) |")
	assert.Contains(t, string(md), "| Go crypto/tls (goroutine/conn) |")
	assert.FileExists(t, filepath.Join(dir, resultsTLSFile))
	assert.NoFileExists(t, filepath.Join(dir, resultsFile), "no plain scenario ran")
}

// TestQuickSmokeGroup is the same for the group suite's servers: evmachine's
// Group echo server unpinned (S2M's placement) and the slow-callback
// detector's echo server with the detector off and on, through the runner.
// Every one must serve round trips with no error.
func TestQuickSmokeGroup(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc")
	}
	scs := []Scenario{
		{ID: "S2M", Title: "smoke: 20 connections, the server unpinned", Conns: 20, Size: 64, Suite: suiteGroup, Unpinned: true,
			Servers: []string{subjectGroup, refGnetMC, refStd}, Warmup: 200 * time.Millisecond, Duration: time.Second},
		{ID: "S2D", Title: "smoke: 20 connections, detector off and on", Conns: 20, Size: 64, Suite: suiteGroup,
			Servers: []string{slowOff, slowOn}, Warmup: 200 * time.Millisecond, Duration: time.Second},
	}
	res, log := runSmoke(t, subjectGroup+","+slowOff+","+slowOn, scs, "go test ./bench -run TestQuickSmokeGroup")

	require.Len(t, res.Records, 3)
	for _, r := range res.Records {
		assert.Empty(t, r.Err, r.Server)
		x := r.Result
		assert.Equal(t, 20, x.Connected, r.Server)
		assert.Positive(t, x.RoundTrips, "%s served no round trip", r.Server)
		assert.Zero(t, x.Errors, "%s: %v", r.Server, x.ErrorSamples)
		assert.Zero(t, x.Mismatches, r.Server)
	}

	dir := t.TempDir()
	require.NoError(t, writeOutputs(log, dir, res, true))
	md, err := os.ReadFile(filepath.Join(dir, "RESULTS.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| evmachine Group (")
	assert.Contains(t, string(md), "| evmachine, detector on (100 ms) |")
	assert.FileExists(t, filepath.Join(dir, resultsGroupFile))
	assert.NoFileExists(t, filepath.Join(dir, resultsFile), "no plain scenario ran")
}

// runSmoke runs scenarios against the named servers (comma-separated)
// through the runner, as `go run ./bench -quick` would, and returns the
// results and the log the report is written with. The runner stops its
// children and returns when its 120 s watchdog ends.
func runSmoke(t *testing.T, names string, scenarios []Scenario, command string) (*Results, *slog.Logger) {
	t.Helper()
	root, err := childproc.ModuleRoot(".")
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	srvs, err := selectNames(servers(runtime.NumCPU()), func(s Server) string { return s.Name }, names, "server")
	require.NoError(t, err)
	taskset, _ := tasksetPath(true)
	log := discardLog()
	rn := &Runner{Root: root, BinDir: t.TempDir(), Self: self, Taskset: taskset, Scenarios: scenarios,
		Servers: srvs, Runs: 1, Parallel: 8, Log: log, Progress: newProgress(os.Stderr, log)}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	res := &Results{Machine: describeMachine("smoke"), Command: command, Started: time.Now(), Quick: true}
	require.NoError(t, rn.Run(ctx, res))
	res.Finished = time.Now()
	return res, log
}
