package reactor

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sendResult is what a SendFile's done got.
type sendResult struct {
	sent int64
	err  error
}

// doneChan returns a done function that reports on the channel, and
// fails the test if it is called twice.
func doneChan(t *testing.T) (func(int64, error), chan sendResult) {
	ch := make(chan sendResult, 2)
	var calls atomic.Int32
	return func(sent int64, err error) {
		if calls.Add(1) > 1 {
			t.Errorf("done called twice (sent %d, err %v)", sent, err)
		}
		ch <- sendResult{sent, err}
	}, ch
}

func waitFileDone(t *testing.T, ch chan sendResult) sendResult {
	t.Helper()
	return waitFor(t, ch, "SendFile's done")
}

// fileWith returns an open file holding data.
func fileWith(t *testing.T, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// sendFileServer serves one Conn that runs send in PostInit and returns
// the client side.
func sendFileServer(t *testing.T, h *harness, send func(c *Conn), opts ...ConnOption) net.Conn {
	t.Helper()
	l, _ := h.serve(func(p *probe) { p.OnPostInit = send }, opts...)
	return dial(t, "tcp", l.Addr().String())
}

func TestSendFileOrderWithWrites(t *testing.T) {
	h := newHarness(t)
	body := pattern(300<<10, 1)
	f := fileWith(t, body)
	done1, ch1 := doneChan(t)
	done2, ch2 := doneChan(t)
	c := sendFileServer(t, h, func(c *Conn) {
		c.Write([]byte("head|"))
		c.SendFile(f, 0, -1, done1)
		c.Write([]byte("|middle|"))
		c.SendFile(f, 10, 20, done2) // a range, after the whole file
		c.Write([]byte("|tail"))
		c.CloseAfterWriting()
	})
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	want := append([]byte("head|"), body...)
	want = append(want, "|middle|"...)
	want = append(want, body[10:30]...)
	want = append(want, "|tail"...)
	assert.Equal(t, len(want), len(got))
	assert.True(t, bytes.Equal(want, got), "bytes in the order they were written")
	assert.Equal(t, sendResult{int64(len(body)), nil}, waitFileDone(t, ch1))
	assert.Equal(t, sendResult{20, nil}, waitFileDone(t, ch2))
}

func TestSendFileShortFileAndWriteFromDone(t *testing.T) {
	h := newHarness(t)
	f := fileWith(t, []byte("0123456789"))
	var res sendResult
	c := sendFileServer(t, h, func(c *Conn) {
		c.SendFile(f, 4, 100, func(sent int64, err error) {
			res = sendResult{sent, err}
			c.Write([]byte("!"))
			c.CloseAfterWriting()
		})
	})
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "456789!", string(got))
	h.do(func() {
		assert.Equal(t, int64(6), res.sent)
		assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF, "a file shorter than n")
	})
}

func TestSendFileClosedConnReportsAtOnce(t *testing.T) {
	h := newHarness(t)
	f := fileWith(t, []byte("x"))
	done, ch := doneChan(t)
	sendFileServer(t, h, func(c *Conn) {
		c.Close()
		c.SendFile(f, 0, -1, done)
	})
	res := waitFileDone(t, ch)
	assert.ErrorIs(t, res.err, ErrClosed)
	assert.Zero(t, res.sent)
}

// TestSendFileEarlyClose: done runs once with what was sent when the Conn
// closes first, locally or by the peer.
func TestSendFileEarlyClose(t *testing.T) {
	h := newHarness(t)
	f := sparseFile(t, 256<<20)
	done, ch := doneChan(t)
	var conn atomic.Pointer[Conn]
	c := sendFileServer(t, h, func(c *Conn) {
		conn.Store(c)
		c.SendFile(f, 0, -1, done)
	})
	buf := make([]byte, 1<<20)
	_, err := io.ReadFull(c, buf) // some of it arrives; then nobody reads
	require.NoError(t, err)
	h.do(func() { conn.Load().Close() })
	res := waitFileDone(t, ch)
	assert.ErrorIs(t, res.err, ErrClosed)
	assert.GreaterOrEqual(t, res.sent, int64(len(buf)))
	assert.Less(t, res.sent, int64(256<<20))

	// The peer goes away mid-file.
	done2, ch2 := doneChan(t)
	c2 := sendFileServer(t, h, func(c *Conn) { c.SendFile(f, 0, -1, done2) })
	_, err = io.ReadFull(c2, buf)
	require.NoError(t, err)
	c2.(*net.TCPConn).SetLinger(0)
	c2.Close()
	res = waitFileDone(t, ch2)
	assert.Error(t, res.err)
	assert.Less(t, res.sent, int64(256<<20))
}

// sparseFile returns a file of size bytes, all holes but for markers at
// the start, the middle and the end.
func sparseFile(t *testing.T, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "sparse"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	require.NoError(t, f.Truncate(size))
	for _, off := range []int64{0, size / 2, size - 8} {
		_, err := f.WriteAt([]byte("MARK"+strconv.Itoa(int(off%10000))), off)
		require.NoError(t, err)
	}
	return f
}

// rss returns this process's resident set size (Linux).
func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	fields := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// TestSendFile1GiBToSlowReaderKeepsRSSFlat sends a 1 GiB sparse file to a
// reader that keeps pausing, while sampling the process's RSS: sendfile(2)
// moves it without memory, and the Conn asks for more only when writable.
func TestSendFile1GiBToSlowReaderKeepsRSSFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB")
	}
	h := newHarness(t)
	const size = 1 << 30
	f := sparseFile(t, size)
	done, ch := doneChan(t)
	c := sendFileServer(t, h, func(c *Conn) { c.SendFile(f, 0, -1, done) })
	require.NoError(t, c.SetDeadline(time.Now().Add(25*time.Second)))

	base := rss(t)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), rss(t)))
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	buf := make([]byte, 64<<10)
	var total int64
	var marks []string
	for total < size {
		n, err := c.Read(buf)
		require.NoError(t, err)
		if i := bytes.Index(buf[:n], []byte("MARK")); i >= 0 && i+8 <= n {
			marks = append(marks, strconv.FormatInt(total+int64(i), 10))
		}
		total += int64(n)
		if total%(32<<20) < int64(n) {
			time.Sleep(20 * time.Millisecond) // slow: the server meets a full socket
		}
	}
	close(stop)
	<-sampled
	assert.Equal(t, int64(size), total)
	assert.Equal(t, []string{"0", strconv.Itoa(size / 2), strconv.Itoa(size - 8)}, marks)
	assert.Equal(t, sendResult{size, nil}, waitFileDone(t, ch))
	growth := peak.Load() - base
	t.Logf("RSS: %d MiB at the start, growth %d KiB while sending 1 GiB", base>>20, growth>>10)
	assert.Less(t, growth, int64(32<<20), "RSS growth")
}

func TestSendFileTLSFallback(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	body := pattern(3<<20+123, 7)
	f := fileWith(t, body)
	done, ch := doneChan(t)
	l, _ := h.serveTLS(srvCfg, func(p *probe) {
		p.OnPostInit = func(c *Conn) {
			c.Write([]byte("<"))
			c.SendFile(f, 0, -1, done)
			c.Write([]byte(">"))
			c.CloseAfterWriting()
		}
	})
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(waitTimeout)))
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	want := append(append([]byte("<"), body...), '>')
	assert.Equal(t, len(want), len(got))
	assert.True(t, bytes.Equal(want, got), "TLS bytes intact and in order")
	assert.Equal(t, sendResult{int64(len(body)), nil}, waitFileDone(t, ch))
}

func TestSendFilePipeFallback(t *testing.T) {
	h := newHarness(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	body := pattern(1<<20+7, 9)
	const first = 100000
	resume := make(chan struct{})
	go func() {
		defer pw.Close()
		pw.Write(body[:first])
		<-resume // meanwhile the reader waits on an empty pipe
		for b := body[first:]; len(b) > 0; {
			n := min(len(b), 10000)
			pw.Write(b[:n])
			b = b[n:]
		}
	}()
	done, ch := doneChan(t)
	c := sendFileServer(t, h, func(c *Conn) {
		c.SendFile(pr, 0, -1, done)
		pr.Close() // the reactor reads its own duplicate
		c.Write([]byte("END"))
		c.CloseAfterWriting()
	})
	head := make([]byte, first)
	_, err = io.ReadFull(c, head)
	require.NoError(t, err)
	h.assertNoSpin("waiting for a pipe")
	close(resume)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(append(body, "END"...), append(head, got...)), "pipe bytes intact, then the write behind them")
	assert.Equal(t, sendResult{int64(len(body)), nil}, waitFileDone(t, ch))
}

// TestSendFilePipeAbortedWhileReading: a Conn closed while its SendFile's
// reader waits on an empty pipe ends the reader; done hears ErrClosed.
func TestSendFilePipeAbortedWhileReading(t *testing.T) {
	h := newHarness(t)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	done, ch := doneChan(t)
	var conn atomic.Pointer[Conn]
	sendFileServer(t, h, func(c *Conn) {
		conn.Store(c)
		c.SendFile(pr, 0, 100, done)
	})
	time.Sleep(20 * time.Millisecond)
	h.do(func() { conn.Load().Close() })
	res := waitFileDone(t, ch)
	assert.True(t, errors.Is(res.err, ErrClosed), "%v", res.err)
	assert.Zero(t, res.sent)
}

// TestSendFileOutboundAndCloseWrite: a SendFile on an outbound Conn before
// its connect completes waits for it, and a CloseWrite after it shuts the
// write side only once the file is out.
func TestSendFileOutboundAndCloseWrite(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	body := pattern(2<<20+5, 4)
	f := fileWith(t, body)
	done, ch := doneChan(t)
	p := h.newProbe()
	p.OnPostInit = func(c *Conn) {
		c.Write([]byte("a"))
		c.SendFile(f, 0, -1, done)
		c.Write([]byte("z"))
		assert.NoError(t, c.CloseWrite())
	}
	p.OnPeerClosed = func(c *Conn) { c.Close() }
	p.HalfCloser = true
	h.do(func() {
		_, err := h.r.Connect("tcp", ln.Addr().String(), p.handler())
		require.NoError(t, err)
	})
	sc, err := ln.Accept()
	require.NoError(t, err)
	defer sc.Close()
	require.NoError(t, sc.SetDeadline(time.Now().Add(waitTimeout)))
	got, err := io.ReadAll(sc) // until the CloseWrite's FIN
	require.NoError(t, err)
	want := append(append([]byte("a"), body...), 'z')
	assert.True(t, bytes.Equal(want, got), "got %d bytes, want %d", len(got), len(want))
	assert.Equal(t, sendResult{int64(len(body)), nil}, waitFileDone(t, ch))
	sc.Close()
}

// Detach is refused while a SendFile is pending: the file would be cut.
func TestSendFileRefusesDetach(t *testing.T) {
	h := newHarness(t)
	f := sparseFile(t, 64<<20)
	done, ch := doneChan(t)
	var conn atomic.Pointer[Conn]
	c := sendFileServer(t, h, func(c *Conn) {
		conn.Store(c)
		c.SendFile(f, 0, -1, done)
	})
	buf := make([]byte, 1<<20)
	_, err := io.ReadFull(c, buf) // the file is under way; nobody reads on
	require.NoError(t, err)
	var derr error
	h.do(func() { _, derr = conn.Load().Detach() })
	require.ErrorContains(t, derr, "SendFile")
	h.do(func() { conn.Load().Close() })
	assert.ErrorIs(t, waitFileDone(t, ch).err, ErrClosed)
}
