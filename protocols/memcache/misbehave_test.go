package memcache

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// fakeServer serves each loopback connection with script; eof is closed
// when a connection's script has seen the client close it (readUntilEOF).
func fakeServer(t *testing.T, script func(c net.Conn, br *bufio.Reader)) string {
	return nettest.Serve(t, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(watchdog))
		script(c, bufio.NewReader(c))
	})
}

// readLines reads n command lines.
func readLines(br *bufio.Reader, n int) error {
	for range n {
		if _, err := br.ReadString('\n'); err != nil {
			return err
		}
	}
	return nil
}

// sawClose reports (on ch) whether the client closed the connection:
// reading hits EOF or a reset, not the deadline.
func sawClose(br *bufio.Reader, ch chan<- bool) {
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	ch <- !(errors.As(err, &ne) && ne.Timeout())
}

func getErr(t *testing.T, addr string, opts ...Option) error {
	r, c := dial(t, addr, opts...)
	return doGet(t, r, c, "k").err
}

func TestReplyCutInTheMiddle(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		if readLines(br, 1) == nil {
			io.WriteString(c, "VALUE k 0 10\r\nabc")
		}
	})
	err := getErr(t, addr)
	assert.ErrorIs(t, err, ErrConnectionLost)
	assert.ErrorIs(t, err, io.EOF)
}

func TestMalformedReplyFailsEveryPending(t *testing.T) {
	closed := make(chan bool, 1)
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		if readLines(br, 3) == nil {
			io.WriteString(c, "BOGUS\r\n")
			sawClose(br, closed)
		}
	})
	r, c := dial(t, addr)
	errs := make(chan error, 3)
	onLoop(t, r, func() {
		for _, k := range []string{"a", "b", "c"} {
			c.Get(k, func(_ *Item, err error) { errs <- err })
		}
	})
	for range 3 {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, ErrProtocol)
		case <-time.After(watchdog):
			require.FailNow(t, "watchdog")
		}
	}
	select {
	case ok := <-closed:
		assert.True(t, ok, "the client closed the connection")
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog")
	}
}

func TestRepliesThatDoNotFit(t *testing.T) {
	for name, reply := range map[string]string{
		"stored to a get":   "STORED\r\n",
		"value of another":  "VALUE other 0 1\r\nx\r\nEND\r\n",
		"value twice":       "VALUE k 0 1\r\nx\r\nVALUE k 0 1\r\nx\r\nEND\r\n",
		"number to a get":   "12\r\n",
		"bare LF":           "END\n",
		"endless line":      string(make([]byte, 4096)),
		"bad data trailer":  "VALUE k 0 1\r\nxyz\r\n",
		"version to a get":  "VERSION 1\r\n",
		"deleted to a get":  "DELETED\r\n",
		"negative flags":    "VALUE k -1 1\r\nx\r\nEND\r\n",
		"oversized by opt":  "VALUE k 0 101\r\n",
		"huge announced":    "VALUE k 0 536870912\r\n",
		"cas out of range":  "VALUE k 0 1 18446744073709551616\r\nx\r\n",
		"value then number": "VALUE k 0 1\r\nx\r\n5\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			closed := make(chan bool, 1)
			addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
				if readLines(br, 1) == nil {
					io.WriteString(c, reply)
					sawClose(br, closed)
				}
			})
			err := getErr(t, addr, WithMaxItemSize(100))
			assert.ErrorIs(t, err, ErrProtocol)
			select {
			case ok := <-closed:
				assert.True(t, ok, "the client closed the connection")
			case <-time.After(watchdog):
				require.FailNow(t, "watchdog")
			}
		})
	}
}

// TestHugeValueRefusedBeforeAllocation: a server announcing a 512 MiB
// value and streaming data after it gets refused at the VALUE line.
func TestHugeValueRefusedBeforeAllocation(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		if readLines(br, 1) != nil {
			return
		}
		io.WriteString(c, "VALUE k 0 536870912\r\n")
		junk := make([]byte, 64<<10)
		for range 1 << 13 { // up to 512 MiB, until the client closes
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := getErr(t, addr)
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, ErrReplyTooLarge)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "nothing near the announced size was allocated")
}

func TestUnansweredCommandTimesOut(t *testing.T) {
	closed := make(chan bool, 1)
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		if readLines(br, 1) == nil {
			sawClose(br, closed)
		}
	})
	start := time.Now()
	err := getErr(t, addr, WithTimeout(200*time.Millisecond))
	took := time.Since(start)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.GreaterOrEqual(t, took, 150*time.Millisecond)
	assert.Less(t, took, 10*time.Second)
	select {
	case ok := <-closed:
		assert.True(t, ok, "the client closed the connection")
	case <-time.After(watchdog):
		require.FailNow(t, "watchdog")
	}
}

// TestReplyDrippedByteByByte: a reply split at every byte parses whole.
func TestReplyDrippedByteByByte(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		if readLines(br, 1) != nil {
			return
		}
		for _, b := range []byte("VALUE k 7 5 99\r\nhe\r\no\r\nEND\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		io.Copy(io.Discard, br)
	})
	r, c := dial(t, addr)
	got := doGets(t, r, c, "k")
	require.NoError(t, got.err)
	assert.Equal(t, &Item{Key: "k", Value: []byte("he\r\no"), Flags: 7, CasID: 99}, got.v)
}

func TestRefusedConnect(t *testing.T) {
	addr := nettest.RefusedAddr(t)
	// Queued commands wait for a connection, then time out naming the
	// connect error.
	err := getErr(t, addr, WithTimeout(300*time.Millisecond), WithReconnect(20*time.Millisecond, 50*time.Millisecond))
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	// Without a queue, a command fails at once.
	err = getErr(t, addr, WithMaxQueued(0))
	assert.ErrorIs(t, err, ErrNotConnected)
	// Without reconnecting, the first failure closes the Client.
	r, c := dial(t, addr, WithReconnect(0, 0))
	err = doGet(t, r, c, "k").err
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	err = doGet(t, r, c, "k").err
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "later commands fail with the same error")
}

// TestHoldWhileServerBusy: a command issued while the server has more than
// twice as many to answer is held until replies arrive, then sent.
func TestHoldWhileServerBusy(t *testing.T) {
	answer := make(chan struct{})
	got := make(chan string, 16)
	addr := fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			got <- line
			if i == 9 {
				<-answer // the first ten are answered together, on demand
				io.WriteString(c, strings.Repeat("END\r\n", 10))
			}
			if i == 10 {
				io.WriteString(c, "END\r\n")
			}
		}
	})
	r, c := dial(t, addr)
	done := make(chan error, 11)
	onLoop(t, r, func() {
		for range 10 {
			c.Get("k", func(_ *Item, err error) { done <- err })
		}
	})
	for range 10 {
		select {
		case <-got:
		case <-time.After(watchdog):
			require.FailNow(t, "watchdog: the first ten did not arrive")
		}
	}
	onLoop(t, r, func() { c.Get("k", func(_ *Item, err error) { done <- err }) })
	onLoop(t, r, func() {}) // the tick that would have flushed it has run
	select {
	case line := <-got:
		require.FailNow(t, "sent while the server was busy", line)
	case <-time.After(100 * time.Millisecond):
	}
	assert.Equal(t, 1, stats(t, r, c).Pending-10)
	close(answer)
	for range 11 {
		select {
		case err := <-done:
			assert.ErrorIs(t, err, ErrCacheMiss)
		case <-time.After(watchdog):
			require.FailNow(t, "watchdog")
		}
	}
	assert.Equal(t, uint64(2), stats(t, r, c).Writes)
}
