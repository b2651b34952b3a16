package redis

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// fakeServer answers each command it reads with answer(i) for the i-th
// command (0-based); answer returns the bytes to send and whether to close
// the connection afterwards.
func fakeServer(t *testing.T, answer func(i int, cmd []string) (out string, hangUp bool)) string {
	return nettest.Serve(t, func(c *net.TCPConn) {
		_ = c.SetNoDelay(true)
		var buf []byte
		rd := bufio.NewReader(c)
		tmp := make([]byte, 4096)
		for i := 0; ; {
			v, n, err := Parse(buf, DefaultLimits)
			if err == ErrIncomplete {
				m, rerr := rd.Read(tmp)
				if rerr != nil {
					return
				}
				buf = append(buf, tmp[:m]...)
				continue
			}
			if err != nil {
				return
			}
			buf = buf[n:]
			args, _ := v.AsStrings()
			out, hangUp := answer(i, args)
			i++
			if _, err := io.WriteString(c, out); err != nil || hangUp {
				return
			}
		}
	})
}

// failAll issues three pipelined PINGs and returns their errors.
func failAll(t *testing.T, addr string, opts ...Option) []error {
	t.Helper()
	r := startReactor(t)
	opts = append([]Option{WithProtocol(2), WithReconnect(0, 0, 0)}, opts...)
	c := dial(t, r, addr, opts...)
	ch := make(chan error, 3)
	onLoop(t, r, func() {
		for range 3 {
			c.Do(func(_ Value, err error) { ch <- err }, "PING")
		}
	})
	var errs []error
	for range 3 {
		errs = append(errs, wait(t, ch, "reply"))
	}
	return errs
}

func TestGarbageReplyFailsEverything(t *testing.T) {
	addr := fakeServer(t, func(int, []string) (string, bool) { return "?what\r\n", false })
	for _, err := range failAll(t, addr) {
		assert.ErrorIs(t, err, ErrConnectionLost)
		assert.ErrorIs(t, err, ErrProtocol)
	}
}

func TestReplyCutInTheMiddle(t *testing.T) {
	addr := fakeServer(t, func(int, []string) (string, bool) { return "$10\r\nabc", true })
	for _, err := range failAll(t, addr) {
		assert.ErrorIs(t, err, ErrConnectionLost)
		assert.ErrorIs(t, err, io.EOF)
	}
}

// TestHugeBulkRefused: a server announcing a 512 MiB bulk string is
// refused at the header, with nothing allocated for it, by the default
// limit and by a configured one.
func TestHugeBulkRefused(t *testing.T) {
	addr := fakeServer(t, func(int, []string) (string, bool) {
		return "$536870912\r\n" + string(make([]byte, 64<<10)), false
	})
	for _, opts := range [][]Option{nil, {WithLimits(Limits{MaxBulk: 1 << 20, MaxLine: 1 << 10, MaxAggregate: 100, MaxDepth: 4})}} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, err := range failAll(t, addr, opts...) {
			assert.ErrorIs(t, err, ErrConnectionLost)
			assert.ErrorIs(t, err, ErrTooLarge)
		}
		runtime.ReadMemStats(&after)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32<<20), "bytes allocated")
	}
}

func TestOutOfSyncReply(t *testing.T) {
	addr := fakeServer(t, func(int, []string) (string, bool) { return "+PONG\r\n+EXTRA\r\n", false })
	r := startReactor(t)
	errs := make(chan error, 10)
	c := dial(t, r, addr, WithProtocol(2), WithReconnect(0, 0, 0),
		WithEventHandler(func(e Event, err error) {
			if e == EventDisconnected {
				errs <- err
			}
		}))
	v, err := do(t, r, c, "PING")
	require.NoError(t, err)
	assert.Equal(t, "PONG", v.Str)
	assert.ErrorIs(t, wait(t, errs, "disconnect"), ErrOutOfSync)
}

// TestReplyByteByByte: a RESP3 reply of every type, sent one byte per
// write, is parsed whole.
func TestReplyByteByByte(t *testing.T) {
	const reply = "|1\r\n+ttl\r\n:3\r\n%2\r\n+a\r\n*3\r\n:1\r\n,2.5\r\n#t\r\n$3\r\nb\r\n\r\n~2\r\n_\r\n(123456789012345678901234567890\r\n"
	addr := nettest.Serve(t, func(c *net.TCPConn) {
		_ = c.SetNoDelay(true)
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err != nil {
			return
		}
		for i := range len(reply) {
			if _, err := c.Write([]byte{reply[i]}); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		_, _ = c.Read(buf)
	})
	r := startReactor(t)
	c := dial(t, r, addr, WithProtocol(2))
	v, err := do(t, r, c, "WHATEVER")
	require.NoError(t, err)
	want, n, err := Parse([]byte(reply), DefaultLimits)
	require.NoError(t, err)
	require.Equal(t, len(reply), n)
	assert.Equal(t, want, v)
	assert.Equal(t, KindMap, v.Kind)
	assert.Len(t, v.Attrs, 2)
}
