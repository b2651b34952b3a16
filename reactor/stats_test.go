package reactor_test

import (
	"context"
	"expvar"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

var expvarSeq atomic.Int64

type echoH struct{ reactor.BaseHandler }

func (echoH) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

// TestStatsCountWhatHappened: after 3 accepted connections each echo 100
// bytes, 2 timers armed and 5 Defers finished, Stats says so (read from
// another goroutine), and expvar publishes it.
func TestStatsCountWhatHappened(t *testing.T) {
	r, _ := asyncStart(t)
	var addr string
	asyncOnLoop(t, r, func() {
		l, err := r.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler { return echoH{} })
		require.NoError(t, err)
		addr = l.Addr().String()
		r.AddTimer(time.Hour, func() {})
		r.AddPeriodicTimer(time.Hour, func() {})
		for range 5 {
			reactor.Defer(r, func(context.Context) (int, error) { return 1, nil }, nil)
		}
	})
	for range 3 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		c.Write([]byte(strings.Repeat("x", 100)))
		buf := make([]byte, 100)
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
	}
	var s reactor.Stats
	require.Eventually(t, func() bool {
		s = r.Stats()
		return s.Connections == 3 && s.BytesRead == 300 && s.BytesWritten == 300 && s.DeferCompleted == 5
	}, asyncWatchdog, time.Millisecond, "stats: %+v", s)
	assert.Equal(t, 2, s.Timers)
	assert.Positive(t, s.Iterations)
	assert.Positive(t, s.Events)
	assert.Positive(t, s.Busy)
	assert.Positive(t, s.Waiting)
	assert.True(t, s.Utilization >= 0 && s.Utilization <= 1, "utilization %v", s.Utilization)

	name := fmt.Sprintf("evmachine_stats_test_%d", expvarSeq.Add(1)) // expvar names are for life
	r.PublishExpvar(name)
	v := expvar.Get(name).String()
	assert.Contains(t, v, `"BytesRead":300`)
}

// TestGroupStats sums the loops.
func TestGroupStats(t *testing.T) {
	g, err := reactor.NewGroup(2)
	require.NoError(t, err)
	require.NoError(t, g.Listen("tcp", "127.0.0.1:0", func(*reactor.Conn) reactor.Handler { return echoH{} }))
	addr := g.Listeners()[0].Addr().String()
	var wg sync.WaitGroup
	wg.Go(func() { g.Run() })
	defer func() { g.Stop(); wg.Wait() }()
	for range 20 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		c.Write([]byte("0123456789"))
		buf := make([]byte, 10)
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		c.Close()
	}
	var gs reactor.GroupStats
	require.Eventually(t, func() bool { gs = g.Stats(); return gs.Total.BytesWritten == 200 }, asyncWatchdog, time.Millisecond)
	assert.Len(t, gs.PerLoop, 2)
	assert.Equal(t, gs.PerLoop[0].BytesRead+gs.PerLoop[1].BytesRead, gs.Total.BytesRead)
}
