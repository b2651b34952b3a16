package reactor

import (
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pause holds a TLS Conn as a plain one: records already decrypted wait,
// nothing reaches ReceiveData, and after Resume they all arrive, even
// though the socket has nothing new to say.
func TestTLSPauseHoldsDecryptedRecords(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	var calls atomic.Int32
	l, accepted := h.serveTLS(srvCfg, func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			if calls.Add(1) == 1 {
				c.Pause() // after the first record: the others stay decrypted or buffered
			}
		}
	})
	raw := &batchConn{Conn: dial(t, "tcp", l.Addr().String())}
	c := tls.Client(raw, cliCfg)
	require.NoError(t, c.Handshake())
	p := tlsAccepted(t, accepted)
	waitFor(t, p.handshakes, "handshake")
	raw.hold = true
	for _, m := range []string{"one|", "two|", "three|"} { // three records ...
		_, err := c.Write([]byte(m))
		require.NoError(t, err)
	}
	require.NoError(t, raw.flush()) // ... in one TCP write: read and decrypted together
	assert.Eventually(t, func() bool { return calls.Load() >= 1 }, waitTimeout, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // a wrong implementation would deliver meanwhile
	assert.Equal(t, int32(1), calls.Load(), "nothing more while paused")
	h.do(func() { p.Conn().Resume() })
	assert.Equal(t, "one|two|three|", string(p.waitGot(t, len("one|two|three|"))))
}

// batchConn holds what is written while hold is set, for one write.
type batchConn struct {
	net.Conn
	hold bool
	buf  []byte
}

func (b *batchConn) Write(p []byte) (int, error) {
	if b.hold {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

func (b *batchConn) flush() error {
	b.hold = false
	_, err := b.Conn.Write(b.buf)
	return err
}

// CloseWrite on a TLS Conn sends close_notify, then shuts the socket's
// write side; the Conn goes on reading.
func TestTLSCloseWrite(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, func(p *probe) {
		p.OnData = func(c *Conn, data []byte) {
			if string(data) == "bye" {
				c.Write([]byte("last words"))
				require.NoError(t, c.CloseWrite())
			}
		}
	})
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("bye"))
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err, "a clean end: close_notify")
	assert.Equal(t, "last words", string(got))
	_, err = c.Write([]byte("still reading"))
	require.NoError(t, err)
	p := tlsAccepted(t, accepted)
	assert.Contains(t, string(p.waitGot(t, len("byestill reading"))), "still reading")
	h.do(func() { p.Conn().Close() })
}

// Shutdown drains TLS Conns as plain ones: queued plaintext goes out, then
// close_notify, then the reactor stops.
func TestTLSShutdownFlushes(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	answer := pattern(2<<20, 5)
	l, _ := h.serveTLS(srvCfg, func(p *probe) {
		p.OnData = func(c *Conn, _ []byte) {
			c.Write(answer)
			go h.r.Shutdown(t.Context())
		}
	})
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, len(answer), len(got))
	c.Close() // the server's socket stops lingering
	select {
	case err := <-h.done:
		assert.NoError(t, err)
		h.done <- err
	case <-time.After(waitTimeout):
		t.Fatal("the reactor did not stop after the drain")
	}
}

// Unread gives the handshake the bytes that came in the same read as the
// STARTTLS command: a client that pipelines its ClientHello right behind
// the command still gets a handshake.
func TestTLSStartTLSWithPipelinedClientHello(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, _ := h.serve(func(p *probe) {
		var buf []byte
		p.OnData = func(c *Conn, data []byte) {
			buf = append(buf, data...)
			line, rest, ok := strings.Cut(string(buf), "\r\n")
			if !ok || c.tlsStage() != nil {
				return
			}
			require.Equal(t, "STARTTLS", line)
			require.NoError(t, c.StartTLS(srvCfg))
			require.NoError(t, c.Unread([]byte(rest)))
		}
		p.OnUnbind = func(*Conn, error) {}
	})
	raw := dial(t, "tcp", l.Addr().String())
	c := tls.Client(&prefixConn{Conn: raw, prefix: []byte("STARTTLS\r\n")}, cliCfg)
	require.NoError(t, c.Handshake(), "the ClientHello went out in the same write as the command")
	c.Close()
}

// prefixConn sends prefix in front of its first write, in one write.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Write(b []byte) (int, error) {
	if p.prefix != nil {
		_, err := p.Conn.Write(append(p.prefix, b...))
		p.prefix = nil
		return len(b), err
	}
	return p.Conn.Write(b)
}

// TLS handshakes run on at most WithTLSHandshakeLimit goroutines: Conns
// beyond wait, and a flood of stalled handshakes costs no more goroutines.
func TestTLSHandshakeLimit(t *testing.T) {
	h := newHarness(t, WithTLSHandshakeLimit(4))
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, _ := h.serveTLS(srvCfg, func(p *probe) {}, WithTLSHandshakeTimeout(time.Second))
	// The real client's listener (same reactor, so the same 4 slots) gives
	// it the whole watchdog for its handshake: under load or -race it may
	// get its slot only just before a 1 s deadline would pass.
	patient, _ := h.serveTLS(srvCfg, func(p *probe) {}, WithTLSHandshakeTimeout(waitTimeout))
	base := runtime.NumGoroutine()
	for range 50 {
		dial(t, "tcp", l.Addr().String()) // connects, never says hello
	}
	require.Eventually(t, func() bool {
		var active, queued int
		h.do(func() { active, queued = h.r.tlsActive, len(h.r.tlsQueue) })
		return active == 4 && queued == 46
	}, waitTimeout, time.Millisecond, "four handshakes run, the others wait")
	assert.LessOrEqual(t, runtime.NumGoroutine(), base+4+2, "a goroutine per running handshake, no more")
	// A real client gets its turn as the stalled ones time out.
	c, err := tls.Dial("tcp", patient.Addr().String(), cliCfg)
	require.NoError(t, err)
	c.Close()
}

// A handler may close or shut its Conn before the handshake is over (a
// banner, then CloseAfterWriting): the handshake still completes, what was
// written goes out, then close_notify; CloseWrite waits for it too.
func TestTLSCloseDuringHandshake(t *testing.T) {
	for name, tc := range map[string]struct {
		postInit func(c *Conn)
		want     string
	}{
		"banner then CloseAfterWriting": {func(c *Conn) { c.Write([]byte("banner")); c.CloseAfterWriting() }, "banner"},
		"CloseAfterWriting alone":       {func(c *Conn) { c.CloseAfterWriting() }, ""},
		"banner then CloseWrite":        {func(c *Conn) { c.Write([]byte("banner")); c.CloseWrite() }, "banner"},
		"CloseWrite alone":              {func(c *Conn) { c.CloseWrite() }, ""},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			srvCfg, cliCfg := tlsTestConfigs(t)
			l, accepted := h.serveTLS(srvCfg, func(p *probe) { p.OnPostInit = tc.postInit })
			c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
			require.NoError(t, err, "the handshake completes")
			defer c.Close()
			got, err := io.ReadAll(c)
			require.NoError(t, err, "a clean end: close_notify")
			assert.Equal(t, tc.want, string(got))
			c.Close()
			p := tlsAccepted(t, accepted)
			waitFor(t, p.handshakes, "handshake")
			reason := p.waitUnbind(t)
			if strings.Contains(name, "CloseWrite") {
				assert.ErrorIs(t, reason, io.EOF, "the Conn read on until the client closed")
			} else {
				assert.NoError(t, reason)
			}
		})
	}
}

// A Conn paused before its handshake still handshakes (Pause holds the
// data, not TLS's own exchange); the data waits for Resume.
func TestTLSPausedConnHandshakes(t *testing.T) {
	h := newHarness(t)
	srvCfg, cliCfg := tlsTestConfigs(t)
	l, accepted := h.serveTLS(srvCfg, func(p *probe) { p.OnPostInit = func(c *Conn) { c.Pause() } })
	c, err := tls.Dial("tcp", l.Addr().String(), cliCfg)
	require.NoError(t, err, "the handshake completes while paused")
	defer c.Close()
	p := tlsAccepted(t, accepted)
	waitFor(t, p.handshakes, "handshake")
	_, err = c.Write([]byte("held"))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // a wrong implementation would deliver meanwhile
	assert.Empty(t, p.Got())
	h.do(func() { p.Conn().Resume() })
	assert.Equal(t, "held", string(p.waitGot(t, 4)))
	h.do(func() { p.Conn().Close() })
}
