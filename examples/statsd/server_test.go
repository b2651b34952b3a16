package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/reactortest"
	"github.com/evmachine/evmachine/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const watchdog = 20 * time.Second // bounds every wait; never a measurement

// onLoop runs fn on r's goroutine and waits for it.
func onLoop(t *testing.T, r *reactor.Reactor, fn func()) {
	t.Helper()
	done := make(chan struct{})
	r.NextTick(func() { defer close(done); fn() })
	select {
	case <-done:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: the loop did not run the tick")
	}
}

// syncBuffer is a bytes.Buffer safe for the loop and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a server on one reactor, listening on a free loopback port.
type testServer struct {
	r    *reactor.Reactor
	s    *server
	addr string
	out  *syncBuffer
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{r: reactortest.Start(t), out: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	onLoop(t, ts.r, func() {
		ts.s = newServer(ts.r, []*reactor.Reactor{ts.r}, log, ts.out)
		pc, err := ts.r.ListenPacket("udp", "127.0.0.1:0", ts.s.handlerFor(ts.r))
		require.NoError(t, err)
		ts.addr = pc.LocalAddr().String()
	})
	return ts
}

// testWriter sends the server's log to t.Log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// flushAfter waits until the server has received packets datagrams, then
// flushes and returns the snapshot.
func (ts *testServer) flushAfter(t *testing.T, packets uint64) Snapshot {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for {
		var got uint64
		onLoop(t, ts.r, func() { got = ts.s.loops[0].cur.Packets })
		if got >= packets {
			break
		}
		require.True(t, time.Now().Before(deadline), "watchdog: %d of %d datagrams received", got, packets)
		time.Sleep(5 * time.Millisecond)
	}
	snaps := make(chan Snapshot, 1)
	onLoop(t, ts.r, func() { ts.s.Flush(func(s Snapshot) { snaps <- s }) })
	select {
	case s := <-snaps:
		return s
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: no flush")
		return Snapshot{}
	}
}

func send(t *testing.T, c net.Conn, datagrams ...string) {
	t.Helper()
	for _, d := range datagrams {
		_, err := c.Write([]byte(d))
		require.NoError(t, err)
	}
}

func TestServerAggregates(t *testing.T) {
	ts := startServer(t)
	c, err := net.Dial("udp", ts.addr)
	require.NoError(t, err)
	defer c.Close()

	var big strings.Builder // a 64 KiB datagram of many lines
	n := 0
	for big.Len() < 65000 {
		fmt.Fprintf(&big, "bulk:1|c\nlat:%d|ms\n", n%100+1)
		n++
	}
	datagrams := []string{
		"hits:1|c\nhits:2|c\nhits:1|c|@0.1",
		"temp:20|g\ntemp:+5|g\ntemp:-3|g",
		"users:alice|s\nusers:bob|s\nusers:alice|s\n",
		"",                                     // empty: counted as a packet, nothing else
		"garbage\nhits:oops|c\n\nhits:1|c\r\n", // two bad lines, one good
		big.String(),
	}
	send(t, c, datagrams...)
	s := ts.flushAfter(t, uint64(len(datagrams)))

	assert.EqualValues(t, len(datagrams), s.Packets)
	assert.EqualValues(t, 2, s.Bad)
	assert.InDelta(t, 1+2+10+1, s.Counters["hits"], 1e-9)
	assert.InDelta(t, float64(n), s.Counters["bulk"], 1e-9)
	assert.Equal(t, map[string]float64{"temp": 22}, s.Gauges)
	assert.Equal(t, map[string]int{"users": 2}, s.Sets)
	lat := s.Timers["lat"]
	assert.InDelta(t, float64(n), lat.Count, 1e-9)
	assert.Equal(t, 1.0, lat.Min)
	assert.Equal(t, 100.0, lat.Max)
	assert.InDelta(t, 90, lat.P90, 1)
	assert.InDelta(t, lat.Sum/float64(n), lat.Mean, 1e-9)

	// The JSON line on the output says the same.
	var fromJSON Snapshot
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(ts.out.String())), &fromJSON))
	assert.Equal(t, s.Counters, fromJSON.Counters)

	// The next interval starts empty but for the gauges, which persist;
	// a delta applies to the last value.
	send(t, c, "temp:+1|g", "lat:7|ms|@0.5")
	s = ts.flushAfter(t, 2)
	assert.Empty(t, s.Counters)
	assert.Empty(t, s.Sets)
	assert.Equal(t, map[string]float64{"temp": 23}, s.Gauges)
	assert.Equal(t, TimerStats{Count: 2, Min: 7, Max: 7, Mean: 7, P90: 7, Sum: 7}, s.Timers["lat"])
}

// Merging loops: counters add, sets unite, timers pool their values, a
// gauge set on one loop and changed on another ends at the sum.
func TestAggregatesMerge(t *testing.T) {
	a, b := newAggregates(), newAggregates()
	for _, l := range []string{"c:1|c", "s:x|s", "t:1|ms", "g:10|g"} {
		m, err := ParseLine([]byte(l))
		require.NoError(t, err)
		a.Add(m)
	}
	for _, l := range []string{"c:2|c", "s:y|s", "s:x|s", "t:3|ms", "g:+5|g"} {
		m, err := ParseLine([]byte(l))
		require.NoError(t, err)
		b.Add(m)
	}
	a.Merge(b)
	s := a.snapshot(nil)
	assert.Equal(t, map[string]float64{"c": 3}, s.Counters)
	assert.Equal(t, map[string]int{"s": 2}, s.Sets)
	assert.Equal(t, TimerStats{Count: 2, Min: 1, Max: 3, Mean: 2, P90: 3, Sum: 4}, s.Timers["t"])
	assert.Equal(t, gaugeUpdate{set: true, value: 15}, a.gauges["g"])
}

// Past maxKeys distinct names an interval drops new ones and counts them.
func TestAggregatesBounded(t *testing.T) {
	a := newAggregates()
	for i := range maxKeys + 10 {
		a.Add(Metric{Name: fmt.Sprint("k", i), Kind: Counter, Value: 1, Rate: 1})
	}
	a.Add(Metric{Name: "k0", Kind: Counter, Value: 1, Rate: 1}) // a known key still counts
	assert.Len(t, a.counters, maxKeys)
	assert.EqualValues(t, 10, a.Dropped)
	assert.Equal(t, 2.0, a.counters["k0"])
}

func TestGraphiteLines(t *testing.T) {
	s := Snapshot{Time: 1700000000, Interval: 10,
		Counters: map[string]float64{"hits": 20}, Gauges: map[string]float64{"temp": 21.5},
		Timers: map[string]TimerStats{"lat": {Count: 2, Min: 1, Max: 3, Mean: 2, P90: 3, Sum: 4}},
		Sets:   map[string]int{"users": 2}}
	want := `stats.counters.hits.count 20 1700000000
stats.counters.hits.rate 2 1700000000
stats.gauges.temp 21.5 1700000000
stats.timers.lat.count 2 1700000000
stats.timers.lat.lower 1 1700000000
stats.timers.lat.upper 3 1700000000
stats.timers.lat.mean 2 1700000000
stats.timers.lat.upper_90 3 1700000000
stats.timers.lat.sum 4 1700000000
stats.sets.users.count 2 1700000000
stats.statsd.packets 0 1700000000
stats.statsd.bad_lines 0 1700000000
`
	assert.Equal(t, want, graphiteLines("stats", s))
}
