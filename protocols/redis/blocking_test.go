package redis

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsBlocking(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"BLPOP", "k", "0"}, true},
		{[]string{"brpop", "k", "0"}, true},
		{[]string{"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"}, true},
		{[]string{"WAIT", "0", "0"}, true},
		{[]string{"XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "$"}, true},
		{[]string{"XREAD", "STREAMS", "block", "0"}, false},
		{[]string{"XREADGROUP", "GROUP", "g", "c", "block", "10", "STREAMS", "s", ">"}, true},
		{[]string{"GET", "k"}, false},
		{[]string{"BITCOUNT", "k"}, false},
	} {
		got := blockingName(tc.args[0]) && isBlocking(tc.args[0], len(tc.args), func(i int) string { return tc.args[i] })
		assert.Equal(t, tc.want, got, "%v", tc.args)
	}
}

// TestBlockingCommandsDoNotStall: BLPOP, XREAD BLOCK and BLMOVE wait on
// pool connections while the pipeline goes on; each is released by a
// later command.
func TestBlockingCommandsDoNotStall(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	c := dial(t, r, s.Addr, WithBlockingPool(2))
	type res struct {
		name string
		v    Value
		err  error
	}
	ch := make(chan res, 4)
	onLoop(t, r, func() {
		c.Do(func(v Value, err error) { ch <- res{"blpop", v, err} }, "BLPOP", "list", 10)
		c.DoStrings(func(v Value, err error) { ch <- res{"xread", v, err} }, "XREAD", "BLOCK", "10000", "STREAMS", "stream", "$")
		c.Do(func(v Value, err error) { ch <- res{"blmove", v, err} }, "BLMOVE", "src", "dst", "LEFT", "RIGHT", 10)
	})
	// The pipeline is not stalled behind them.
	start := time.Now()
	for range 10 {
		_, err := do(t, r, c, "PING")
		require.NoError(t, err)
	}
	assert.Less(t, time.Since(start), 5*time.Second)

	// XREAD BLOCK ("$") must be waiting before XADD counts for it.
	require.Eventually(t, func() bool {
		v, err := do(t, r, c, "CLIENT", "LIST")
		return err == nil && strings.Count(v.Str, "cmd=xread") == 1 && strings.Count(v.Str, "cmd=blpop") == 1
	}, watchdog/2, 20*time.Millisecond)
	_, err := do(t, r, c, "RPUSH", "list", "one")
	require.NoError(t, err)
	_, err = do(t, r, c, "XADD", "stream", "*", "f", "v")
	require.NoError(t, err)
	got := map[string]res{}
	for range 2 {
		g := wait(t, ch, "blocking replies")
		got[g.name] = g
	}
	require.NoError(t, got["blpop"].err)
	l, err := got["blpop"].v.AsStrings()
	require.NoError(t, err)
	assert.Equal(t, []string{"list", "one"}, l)
	require.NoError(t, got["xread"].err)

	// BLMOVE waited for a free pool connection and runs now.
	_, err = do(t, r, c, "RPUSH", "src", "moved")
	require.NoError(t, err)
	g := wait(t, ch, "blmove")
	require.NoError(t, g.err)
	assert.Equal(t, "moved", g.v.Str)

	v, err := do(t, r, c, "WAIT", 0, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(0), v.Int)

	v, err = do(t, r, c, "BRPOP", "empty", 0.1)
	require.NoError(t, err)
	assert.True(t, v.IsNull(), "a timed-out BRPOP is null")
	onLoop(t, r, func() { assert.LessOrEqual(t, len(c.pool.all), 2) })
}
