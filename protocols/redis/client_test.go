package redis

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientCommands(t *testing.T) {
	s := startServer(t)
	for _, proto := range []int{3, 2} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			r := startReactor(t)
			c := dial(t, r, s.Addr, WithProtocol(proto))
			key := fmt.Sprintf("k%d", proto)

			v, err := do(t, r, c, "SET", key, "hello")
			require.NoError(t, err)
			assert.Equal(t, Value{Kind: KindSimple, Str: "OK"}, v)
			onLoop(t, r, func() { assert.Equal(t, proto, c.Protocol()) })

			v, err = do(t, r, c, "GET", key)
			require.NoError(t, err)
			assert.Equal(t, "hello", v.Str)

			v, err = do(t, r, c, "GET", "missing")
			require.NoError(t, err)
			assert.True(t, v.IsNull())
			_, err = v.AsString()
			assert.ErrorIs(t, err, Nil)

			_, err = do(t, r, c, "INCR", key)
			var rerr Error
			require.ErrorAs(t, err, &rerr)
			assert.Equal(t, "ERR", rerr.Prefix())
			_, err = do(t, r, c, "LPUSH", key, "x")
			require.ErrorAs(t, err, &rerr)
			assert.Equal(t, "WRONGTYPE", rerr.Prefix())

			v, err = do(t, r, c, "INCRBY", "n"+key, 41, "extra")
			require.Error(t, err, "wrong arity is a server error")
			v, err = do(t, r, c, "INCRBY", "n"+key, int64(42))
			require.NoError(t, err)
			assert.Equal(t, int64(42), v.Int)

			_, err = do(t, r, c, "HSET", "h"+key, "a", "1", "b", []byte("2"))
			require.NoError(t, err)
			v, err = do(t, r, c, "HGETALL", "h"+key)
			require.NoError(t, err)
			m, err := v.AsMap()
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"a": "1", "b": "2"}, m)
			if proto == 3 {
				assert.Equal(t, KindMap, v.Kind)
			}

			v, err = do(t, r, c, "INCRBYFLOAT", "f"+key, 1.5)
			require.NoError(t, err)
			f, err := v.AsFloat()
			require.NoError(t, err)
			assert.Equal(t, 1.5, f)

			_, err = do(t, r, c, "SET", key, struct{}{})
			assert.ErrorContains(t, err, "unsupported type")
			_, err = do(t, r, c, "subscribe", "x")
			assert.ErrorIs(t, err, ErrUnsupported)
			v, err = do(t, r, c, "PING")
			require.NoError(t, err, "the pipeline is still in step")
			assert.Equal(t, "PONG", v.Str)
		})
	}
}

func TestTypedHelpers(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	c := dial(t, r, s.Addr)
	type res struct {
		s   string
		n   int64
		l   []string
		m   map[string]string
		err error
	}
	ch := make(chan res, 10)
	onLoop(t, r, func() {
		c.Set("a", "1", func(err error) { ch <- res{err: err} })
		c.Get("a", func(s string, err error) { ch <- res{s: s, err: err} })
		c.Get("nope", func(s string, err error) { ch <- res{s: s, err: err} })
		c.DoInt(func(n int64, err error) { ch <- res{n: n, err: err} }, "INCR", "a")
		c.DoList(func(l []string, err error) { ch <- res{l: l, err: err} }, "MGET", "a", "nope")
		c.DoMap(func(m map[string]string, err error) { ch <- res{m: m, err: err} }, "CONFIG", "GET", "appendonly")
		c.DoString(func(s string, err error) { ch <- res{s: s, err: err} }, "LPOP", "a")
	})
	assert.NoError(t, wait(t, ch, "set").err)
	assert.Equal(t, res{s: "1"}, wait(t, ch, "get"))
	assert.ErrorIs(t, wait(t, ch, "get nope").err, Nil)
	assert.Equal(t, res{n: 2}, wait(t, ch, "incr"))
	assert.Equal(t, res{l: []string{"2", ""}}, wait(t, ch, "mget"))
	assert.Equal(t, res{m: map[string]string{"appendonly": "no"}}, wait(t, ch, "config"))
	var rerr Error
	assert.ErrorAs(t, wait(t, ch, "lpop").err, &rerr)
}

// TestPipelineOneWrite: a thousand commands issued in one callback go out
// in one write and come back in order.
func TestPipelineOneWrite(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	c := dial(t, r, s.Addr)
	_, err := do(t, r, c, "PING")
	require.NoError(t, err)
	const n = 1000
	got := make(chan []int64, 1)
	var before int
	onLoop(t, r, func() {
		before = c.main.writes
		var vals []int64
		for i := range n {
			c.Do(func(v Value, err error) {
				assert.NoError(t, err)
				vals = append(vals, v.Int)
				if len(vals) == n {
					got <- vals
				}
			}, "INCR", "counter")
			_ = i
		}
	})
	vals := wait(t, got, "replies")
	for i, v := range vals {
		require.Equal(t, int64(i+1), v, "reply %d out of order", i)
	}
	onLoop(t, r, func() { assert.Equal(t, 1, c.main.writes-before, "writes for %d commands", n) })
}

func TestAuthSelectName(t *testing.T) {
	s := startServer(t, "--user", "alice", "on", ">sesame", "~*", "&*", "+@all", "--requirepass", "topsecret")
	for _, proto := range []int{3, 2} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			r := startReactor(t)
			c := dial(t, r, s.Addr, WithProtocol(proto), WithAuth("alice", "sesame"), WithDB(3), WithClientName("evm"+strconv.Itoa(proto)))
			v, err := do(t, r, c, "CLIENT", "GETNAME")
			require.NoError(t, err)
			assert.Equal(t, "evm"+strconv.Itoa(proto), v.Str)
			v, err = do(t, r, c, "ACL", "WHOAMI")
			require.NoError(t, err)
			assert.Equal(t, "alice", v.Str)
			v, err = do(t, r, c, "CLIENT", "INFO")
			require.NoError(t, err)
			assert.Contains(t, v.Str, " db=3 ")

			c2 := dial(t, r, s.Addr, WithProtocol(proto), WithAuth("", "topsecret"))
			v, err = do(t, r, c2, "ACL", "WHOAMI")
			require.NoError(t, err)
			assert.Equal(t, "default", v.Str)
		})
	}
}

func TestAuthFailureFails(t *testing.T) {
	s := startServer(t, "--requirepass", "topsecret")
	r := startReactor(t)
	events := make(chan Event, 10)
	c := dial(t, r, s.Addr, WithAuth("", "wrong"), WithReconnect(2, 0, 0),
		WithEventHandler(func(e Event, err error) { events <- e }))
	_, err := do(t, r, c, "PING")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrHandshake) || errors.Is(err, ErrFailed), "got %v", err)
	for e := range events {
		if e == EventFailed {
			break
		}
	}
	onLoop(t, r, func() { assert.Equal(t, StateFailed, c.State()) })
	_, err = do(t, r, c, "PING")
	assert.ErrorIs(t, err, ErrFailed)
}

func TestUnixSocket(t *testing.T) {
	sock := t.TempDir() + "/redis.sock"
	startServer(t, "--unixsocket", sock)
	r := startReactor(t)
	c := dial(t, r, sock)
	v, err := do(t, r, c, "PING")
	require.NoError(t, err)
	assert.Equal(t, "PONG", v.Str)
}
