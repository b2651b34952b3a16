package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const watchdog = 20 * time.Second

// start runs the demo on a free port and returns its base URL and a
// channel that gets run's result.
func start(t *testing.T, blocking bool, delay time.Duration) (string, <-chan error) {
	t.Helper()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(log, "127.0.0.1:0", blocking, delay, 5*time.Second, ready) }()
	select {
	case addr := <-ready:
		return "http://" + addr, done
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(watchdog):
		t.Fatal("watchdog: the server did not start")
	}
	return "", nil
}

// stop sends SIGTERM (run catches it) and waits for run to return.
func stop(t *testing.T, done <-chan error) {
	t.Helper()
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(watchdog):
		t.Fatal("watchdog: the server did not stop")
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: watchdog}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// concurrently makes n requests at once and returns how long they took.
func concurrently(t *testing.T, url string, n int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := get(t, url)
			assert.Equal(t, 200, resp.StatusCode)
			var r Recipe
			assert.NoError(t, json.Unmarshal(body, &r))
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func TestMuffinsServesRecipesAndStopsGracefully(t *testing.T) {
	base, done := start(t, false, 100*time.Millisecond)
	resp, body := get(t, base+"/recipes/random.json")
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var r Recipe
	require.NoError(t, json.Unmarshal(body, &r))
	assert.NotEmpty(t, r.Name)
	assert.NotEmpty(t, r.Ingredients)
	resp, _ = get(t, base+"/nope")
	assert.Equal(t, 404, resp.StatusCode)

	// A request under way when the signal comes is still answered.
	answered := make(chan int, 1)
	go func() {
		resp, _ := get(t, base+"/recipes/random.json")
		answered <- resp.StatusCode
	}()
	time.Sleep(30 * time.Millisecond)
	stop(t, done)
	select {
	case code := <-answered:
		assert.Equal(t, 200, code)
	case <-time.After(watchdog):
		t.Fatal("watchdog: no answer")
	}
}

// Evented, twenty 100 ms queries overlap; blocking, they queue up behind
// each other on the loop.
func TestMuffinsEventedVersusBlocking(t *testing.T) {
	const n, delay = 20, 100 * time.Millisecond
	base, done := start(t, false, delay)
	evented := concurrently(t, base+"/recipes/random.json", n)
	stop(t, done)

	base, done = start(t, true, delay)
	blocking := concurrently(t, base+"/recipes/random.json", n)
	stop(t, done)

	t.Logf("%d concurrent requests of %v: evented %v, blocking %v", n, delay, evented, blocking)
	assert.GreaterOrEqual(t, blocking, n*delay, "blocking serves one query at a time")
	assert.Less(t, evented, n*delay*95/100, "evented overlaps the queries")
}

// A port already in use is run's error (main logs it and exits 1) at once,
// not a server that never listens.
func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(log, taken.Addr().String(), false, time.Millisecond, time.Second, nil) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, syscall.EADDRINUSE)
	case <-time.After(watchdog):
		t.Fatal("watchdog: run did not return on a port in use")
	}
}
