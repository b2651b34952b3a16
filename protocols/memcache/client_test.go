package memcache

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func set(c *Client, key, val string) func(func(error)) {
	return func(cb func(error)) { c.Set(&Item{Key: key, Value: []byte(val)}, cb) }
}

func TestStorageCommands(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)

	require.NoError(t, doErr(t, r, func(cb func(error)) {
		c.Set(&Item{Key: "k", Value: []byte("v1"), Flags: 42}, cb)
	}))
	got := doGet(t, r, c, "k")
	require.NoError(t, got.err)
	assert.Equal(t, &Item{Key: "k", Value: []byte("v1"), Flags: 42}, got.v)

	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Add(&Item{Key: "k", Value: []byte("x")}, cb) }), ErrNotStored)
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Add(&Item{Key: "new", Value: []byte("n")}, cb) }))
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Replace(&Item{Key: "absent", Value: []byte("x")}, cb) }), ErrNotStored)
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Replace(&Item{Key: "k", Value: []byte("v2")}, cb) }))
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Append(&Item{Key: "k", Value: []byte(">")}, cb) }))
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Prepend(&Item{Key: "k", Value: []byte("<")}, cb) }))
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Append(&Item{Key: "absent", Value: []byte(">")}, cb) }), ErrNotStored)
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Prepend(&Item{Key: "absent", Value: []byte("<")}, cb) }), ErrNotStored)
	got = doGet(t, r, c, "k")
	require.NoError(t, got.err)
	assert.Equal(t, "<v2>", string(got.v.Value))

	// A binary value with CRLFs inside, and an empty one.
	bin := []byte("a\r\nEND\r\n\x00\xff")
	require.NoError(t, doErr(t, r, func(cb func(error)) { c.Set(&Item{Key: "bin", Value: bin}, cb) }))
	require.NoError(t, doErr(t, r, set(c, "empty", "")))
	assert.Equal(t, bin, doGet(t, r, c, "bin").v.Value)
	assert.Equal(t, []byte{}, doGet(t, r, c, "empty").v.Value)

	// noreply (no callback), as EventMachine's set without a block.
	onLoop(t, r, func() { c.Set(&Item{Key: "quiet", Value: []byte("q")}, nil) })
	assert.Equal(t, "q", string(doGet(t, r, c, "quiet").v.Value))
}

func TestGetMissAndMulti(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)

	got := doGet(t, r, c, "missing")
	assert.ErrorIs(t, got.err, ErrCacheMiss)
	assert.Nil(t, got.v)

	require.NoError(t, doErr(t, r, set(c, "a", "1")))
	require.NoError(t, doErr(t, r, set(c, "b", "2")))
	multi := await(t, r, func(done func(result[map[string]*Item])) {
		c.GetMulti([]string{"a", "nope", "b"}, func(m map[string]*Item, err error) { done(result[map[string]*Item]{m, err}) })
	})
	require.NoError(t, multi.err)
	require.Len(t, multi.v, 2)
	assert.Equal(t, "1", string(multi.v["a"].Value))
	assert.Equal(t, "b", multi.v["b"].Key)

	// Many keys (the indexed lookup), all missing but one.
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "key-" + strings.Repeat("x", i)
	}
	keys[50] = "a"
	multi = await(t, r, func(done func(result[map[string]*Item])) {
		c.GetsMulti(keys, func(m map[string]*Item, err error) { done(result[map[string]*Item]{m, err}) })
	})
	require.NoError(t, multi.err)
	require.Len(t, multi.v, 1)
	assert.NotZero(t, multi.v["a"].CasID)

	empty := await(t, r, func(done func(result[map[string]*Item])) {
		c.GetMulti(nil, func(m map[string]*Item, err error) { done(result[map[string]*Item]{m, err}) })
	})
	assert.NoError(t, empty.err)
	assert.Empty(t, empty.v)
}

func TestCAS(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)

	require.NoError(t, doErr(t, r, set(c, "k", "v1")))
	got := doGets(t, r, c, "k")
	require.NoError(t, got.err)
	require.NotZero(t, got.v.CasID)
	it := got.v
	it.Value = []byte("v2")
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.CompareAndSwap(it, cb) }))
	it.Value = []byte("v3") // same CasID: stale now
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.CompareAndSwap(it, cb) }), ErrCASConflict)
	assert.Equal(t, "v2", string(doGet(t, r, c, "k").v.Value))
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) {
		c.CompareAndSwap(&Item{Key: "absent", Value: []byte("x"), CasID: 1}, cb)
	}), ErrCacheMiss)
}

func TestDeleteArithTouchFlushVersion(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)

	require.NoError(t, doErr(t, r, set(c, "k", "v")))
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Delete("k", cb) }))
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Delete("k", cb) }), ErrCacheMiss)
	assert.ErrorIs(t, doGet(t, r, c, "k").err, ErrCacheMiss)

	require.NoError(t, doErr(t, r, set(c, "n", "10")))
	n := doArith(t, r, func(cb func(uint64, error)) { c.Increment("n", 5, cb) })
	assert.NoError(t, n.err)
	assert.Equal(t, uint64(15), n.v)
	n = doArith(t, r, func(cb func(uint64, error)) { c.Decrement("n", 100, cb) })
	assert.NoError(t, n.err)
	assert.Equal(t, uint64(0), n.v) // decr stops at 0
	n = doArith(t, r, func(cb func(uint64, error)) { c.Increment("absent", 1, cb) })
	assert.ErrorIs(t, n.err, ErrCacheMiss)
	require.NoError(t, doErr(t, r, set(c, "text", "abc")))
	n = doArith(t, r, func(cb func(uint64, error)) { c.Increment("text", 1, cb) })
	var se *ServerError
	require.ErrorAs(t, n.err, &se)
	assert.Equal(t, "CLIENT_ERROR", se.Kind)
	assert.Contains(t, se.Message, "non-numeric")

	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Touch("n", 100, cb) }))
	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Touch("absent", 100, cb) }), ErrCacheMiss)
	// touch with an expiration in the past expires the item.
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.Touch("n", -1, cb) }))
	assert.ErrorIs(t, doGet(t, r, c, "n").err, ErrCacheMiss)

	require.NoError(t, doErr(t, r, set(c, "text", "abc")))
	assert.NoError(t, doErr(t, r, func(cb func(error)) { c.FlushAll(0, cb) }))
	assert.ErrorIs(t, doGet(t, r, c, "text").err, ErrCacheMiss)

	v := await(t, r, func(done func(result[string])) {
		c.Version(func(s string, err error) { done(result[string]{s, err}) })
	})
	require.NoError(t, v.err)
	assert.Regexp(t, `^\d+\.\d+`, v.v)

	// noreply forms of delete, incr, touch, flush_all leave the pipeline in step.
	onLoop(t, r, func() {
		c.Set(&Item{Key: "q", Value: []byte("1")}, nil)
		c.Increment("q", 2, nil)
		c.Touch("q", 100, nil)
	})
	assert.Equal(t, "3", string(doGet(t, r, c, "q").v.Value))
	onLoop(t, r, func() { c.Delete("q", nil) })
	assert.ErrorIs(t, doGet(t, r, c, "q").err, ErrCacheMiss)
	onLoop(t, r, func() { c.FlushAll(0, nil) })
	assert.NoError(t, doErr(t, r, set(c, "after", "x")))
}

func TestKeyAndSizeValidation(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)
	require.NoError(t, doErr(t, r, set(c, "warm", "x")))
	before := stats(t, r, c).Commands

	for _, k := range []string{"", "a b", "new\nline", strings.Repeat("k", 251), "tab\t", "\x7f"} {
		assert.ErrorIs(t, doErr(t, r, set(c, k, "v")), ErrMalformedKey, "%q", k)
		assert.ErrorIs(t, doGet(t, r, c, k).err, ErrMalformedKey, "%q", k)
		assert.ErrorIs(t, doErr(t, r, func(cb func(error)) { c.Delete(k, cb) }), ErrMalformedKey)
	}
	assert.ErrorIs(t, await(t, r, func(done func(error)) {
		c.GetMulti([]string{"ok", "not ok"}, func(_ map[string]*Item, err error) { done(err) })
	}), ErrMalformedKey)
	long := strings.Repeat("k", 250)
	assert.NoError(t, doErr(t, r, set(c, long, "v")))
	assert.Equal(t, long, doGet(t, r, c, long).v.Key)

	assert.ErrorIs(t, doErr(t, r, func(cb func(error)) {
		c.Set(&Item{Key: "big", Value: make([]byte, DefaultMaxItemSize+1)}, cb)
	}), ErrValueTooLarge)
	assert.Equal(t, before+2, stats(t, r, c).Commands, "nothing invalid was sent")

	// At the client's limit, the server (whose item size includes the
	// key and its header) refuses: a ServerError, and the connection
	// goes on.
	err := doErr(t, r, func(cb func(error)) {
		c.Set(&Item{Key: "big", Value: make([]byte, DefaultMaxItemSize)}, cb)
	})
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "SERVER_ERROR", se.Kind)
	// Just under it, stored and read back whole.
	val := bytes.Repeat([]byte("0123456789abcdef"), 60000)
	require.NoError(t, doErr(t, r, func(cb func(error)) { c.Set(&Item{Key: "big", Value: val}, cb) }))
	assert.Equal(t, val, doGet(t, r, c, "big").v.Value)
}

func TestCloseFailsPendingAndLater(t *testing.T) {
	m := startMemcached(t, 0)
	r, c := dial(t, m.addr)
	require.NoError(t, doErr(t, r, set(c, "k", "v")))
	errs := make(chan error, 3)
	onLoop(t, r, func() {
		c.Get("k", func(_ *Item, err error) { errs <- err })
		c.Set(&Item{Key: "k", Value: []byte("w")}, func(err error) { errs <- err })
		c.Close()
		c.Delete("k", func(err error) { errs <- err })
	})
	for range 3 {
		select {
		case err := <-errs:
			assert.True(t, errors.Is(err, ErrClosed), "%v", err)
		case <-timeAfterWatchdog():
			require.FailNow(t, "watchdog")
		}
	}
	onLoop(t, r, func() { assert.False(t, c.Connected()) })
}

func TestUnixSocket(t *testing.T) {
	bin := memcachedBinary(t)
	dir, err := os.MkdirTemp("", "mc") // short: a socket path is at most 108 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777) // memcached runs as nobody when started by root
	path := filepath.Join(dir, "mc.sock")
	args := []string{"-s", path, "-U", "0"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	cmd := exec.Command(bin, args...)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	waitUntil(t, "memcached listens on its socket", func() bool {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	r, c := dial(t, path)
	require.NoError(t, doErr(t, r, set(c, "k", "over unix")))
	assert.Equal(t, "over unix", string(doGet(t, r, c, "k").v.Value))
}
