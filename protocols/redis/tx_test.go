package redis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTx(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	c := dial(t, r, s.Addr)
	type res struct {
		vs  []Value
		err error
	}
	ch := make(chan res, 3)
	onLoop(t, r, func() {
		c.Tx(func(vs []Value, err error) { ch <- res{vs, err} },
			[]any{"SET", "tx", "1"}, []any{"INCR", "tx"}, []any{"LPUSH", "tx", "x"}, []any{"BLPOP", "nolist", 0})
		// A command the server refuses to queue aborts the transaction.
		c.Tx(func(vs []Value, err error) { ch <- res{vs, err} }, []any{"INCR", "tx"}, []any{"NOSUCHCOMMAND"})
	})
	got := wait(t, ch, "tx")
	require.NoError(t, got.err)
	require.Len(t, got.vs, 4)
	assert.Equal(t, "OK", got.vs[0].Str)
	assert.Equal(t, int64(2), got.vs[1].Int)
	assert.Equal(t, KindError, got.vs[2].Kind, "WRONGTYPE inside EXEC")
	assert.True(t, got.vs[3].IsNull(), "BLPOP inside MULTI does not block")

	got = wait(t, ch, "aborted tx")
	var rerr Error
	require.ErrorAs(t, got.err, &rerr)
	assert.Equal(t, "ERR", rerr.Prefix())
	v, err := do(t, r, c, "GET", "tx")
	require.NoError(t, err)
	assert.Equal(t, "2", v.Str, "the aborted transaction did not run")

	onLoop(t, r, func() {
		c.Tx(func(vs []Value, err error) { ch <- res{vs, err} }, []any{"SET", "tx", struct{}{}})
	})
	got = wait(t, ch, "unencodable tx")
	assert.ErrorContains(t, got.err, "unsupported type")
}
