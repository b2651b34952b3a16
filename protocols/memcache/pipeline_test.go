package memcache

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/reactortest"
)

// TestPipelineOneWritePerIteration issues 2,000 commands (about 40 KB) in
// one loop iteration: with a window that holds them they go out in one
// write, and their callbacks run in order.
func TestPipelineOneWritePerIteration(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr, WithMaxPipelineBytes(1<<20))
	require.NoError(t, doErr(t, r, set(c, "warm", "x"))) // connected
	before := stats(t, r, c)
	getsBefore := m.stats(t)["cmd_get"]

	const n = 1000
	order := make([]int, 0, 2*n)
	values := make([]string, n)
	done := make(chan struct{})
	onLoop(t, r, func() {
		for i := range n {
			c.Set(&Item{Key: fmt.Sprintf("key%d", i), Value: []byte(strconv.Itoa(i))}, func(err error) {
				assert.NoError(t, err)
				order = append(order, i)
			})
		}
		for i := range n {
			c.Get(fmt.Sprintf("key%d", i), func(it *Item, err error) {
				if assert.NoError(t, err) {
					values[i] = string(it.Value)
				}
				order = append(order, n+i)
				if len(order) == 2*n {
					close(done)
				}
			})
		}
	})
	select {
	case <-done:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog: replies missing")
	}
	after := stats(t, r, c)
	assert.Equal(t, uint64(1), after.Writes-before.Writes, "one write for the iteration's commands")
	assert.Equal(t, uint64(2*n), after.Commands-before.Commands)
	assert.Equal(t, uint64(3*n), after.Replies-before.Replies) // n STORED; n VALUE and n END
	for i := range order {
		require.Equal(t, i, order[i], "callbacks in order")
	}
	for i := range n {
		assert.Equal(t, strconv.Itoa(i), values[i])
	}
	g0, _ := strconv.Atoi(getsBefore)
	g1, _ := strconv.Atoi(m.stats(t)["cmd_get"])
	assert.Equal(t, n, g1-g0, "the server saw every get")
}

// TestCommandsWaitForConnection issues commands in the iteration of Dial,
// as EventMachine's client allows: they go out when the connect completes.
func TestCommandsWaitForConnection(t *testing.T) {
	m := startMemcached(t, 0)
	r := reactortest.Start(t)
	res := make(chan error, 2)
	onLoop(t, r, func() {
		c2, err := Dial(r, m.addr)
		require.NoError(t, err)
		assert.False(t, c2.Connected())
		c2.Set(&Item{Key: "early", Value: []byte("bird")}, func(err error) { res <- err })
		c2.Get("early", func(it *Item, err error) {
			if err == nil && string(it.Value) != "bird" {
				err = fmt.Errorf("got %q", it.Value)
			}
			res <- err
			c2.Close()
		})
	})
	for range 2 {
		select {
		case err := <-res:
			assert.NoError(t, err)
		case <-time.After(watchdog):
			require.FailNow(t, "watchdog")
		}
	}
}

// TestSteadyPipeline keeps 500 commands outstanding, each callback issuing
// the next, and checks that writes stay batched: the commands the
// callbacks of one read issue go out together, so there are no more
// writes than reads (how many replies a read brings depends on timing).
func TestSteadyPipeline(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)
	require.NoError(t, doErr(t, r, set(c, "k", "v")))
	before := stats(t, r, c)
	const outstanding, total = 500, 20000
	issued, completed := 0, 0
	done := make(chan struct{})
	var next func()
	next = func() {
		issued++
		c.Get("k", func(it *Item, err error) {
			assert.NoError(t, err)
			completed++
			if completed == total {
				close(done)
			}
			if issued < total {
				next()
			}
		})
	}
	onLoop(t, r, func() {
		for range outstanding {
			next()
		}
	})
	select {
	case <-done:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog")
	}
	after := stats(t, r, c)
	writes, reads := after.Writes-before.Writes, after.Reads-before.Reads
	assert.LessOrEqual(t, writes, reads+1, "at most one write per read of replies")
	assert.Less(t, writes, uint64(total), "commands are batched")
	t.Logf("%d commands in %d writes, %d reads", total, writes, reads)
}

// TestPipelineWindow bounds the bytes in flight: 3,000 commands (a third of
// them noreply) through a 600-byte window all complete in order, in many
// writes, and a command larger than the window goes alone.
func TestPipelineWindow(t *testing.T) {
	m := startMemcached(t, 0)
	const window = 600
	r, c := dial(t, m.addr, WithMaxPipelineBytes(window))
	require.NoError(t, doErr(t, r, set(c, "warm", "x")))
	var violations, flushes int
	onLoop(t, r, func() {
		c.onFlush = func(n int) {
			flushes++
			if c.inflight > window && n != c.inflight {
				violations++
			}
		}
	})
	const n = 1000
	var order []int
	done := make(chan struct{})
	big := make([]byte, 10*window)
	onLoop(t, r, func() {
		for i := range n {
			k := fmt.Sprintf("w%d", i)
			c.Set(&Item{Key: k, Value: []byte(k)}, nil) // noreply
			c.Get(k, func(it *Item, err error) {
				if assert.NoError(t, err) {
					assert.Equal(t, k, string(it.Value))
				}
				order = append(order, i)
			})
			if i == n/2 {
				c.Set(&Item{Key: "big", Value: big}, func(err error) { assert.NoError(t, err) })
			}
			c.Delete(k, func(err error) {
				assert.NoError(t, err)
				if i == n-1 {
					close(done)
				}
			})
		}
	})
	select {
	case <-done:
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog")
	}
	onLoop(t, r, func() {
		assert.Zero(t, violations, "bytes in flight stayed within the window")
		assert.Greater(t, flushes, n*40/window, "the window split the batch")
		assert.Zero(t, c.inflight)
	})
	require.Len(t, order, n)
	for i := range order {
		require.Equal(t, i, order[i])
	}
	assert.Len(t, doGet(t, r, c, "big").v.Value, len(big))
}
