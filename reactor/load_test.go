package reactor

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingEcho echoes and counts its Conns' lifecycles (on the loop).
type countingEcho struct {
	BaseHandler
	opened, unbound atomic.Int64
	twice           atomic.Int64 // Unbinds of a Conn already unbound
	seen            sync.Map     // *Conn -> struct{}: unbound Conns
}

func (e *countingEcho) PostInit(*Conn)                { e.opened.Add(1) }
func (e *countingEcho) ReceiveData(c *Conn, d []byte) { c.Write(d) }
func (e *countingEcho) Unbind(c *Conn, _ error) {
	if _, dup := e.seen.LoadOrStore(c, struct{}{}); dup {
		e.twice.Add(1)
	}
	e.unbound.Add(1)
}

// settle waits until every opened Conn has been unbound.
func (e *countingEcho) settle(t *testing.T) {
	t.Helper()
	assert.Eventually(t, func() bool { return e.unbound.Load() == e.opened.Load() },
		waitTimeout, 10*time.Millisecond, "opened %d, unbound %d", e.opened.Load(), e.unbound.Load())
	assert.Zero(t, e.twice.Load(), "Unbind twice")
}

// echoClient sends msgs messages, batch at a time (one Write per batch),
// and checks every echoed byte.
func echoClient(c net.Conn, id, msgs, batch int) error {
	var out []byte
	got := make([]byte, 0, batch*256)
	for i := 0; i < msgs; i += batch {
		out = out[:0]
		for j := i; j < min(i+batch, msgs); j++ {
			start := len(out)
			out = fmt.Appendf(out, "client %04d message %03d ", id, j)
			for len(out)-start < 40+(id*31+j*17)%200 { // 40..239 bytes, varying
				out = append(out, byte('a'+(id+len(out))%26))
			}
		}
		if _, err := c.Write(out); err != nil {
			return fmt.Errorf("client %d write %d: %w", id, i, err)
		}
		got = got[:len(out)]
		if _, err := io.ReadFull(c, got); err != nil {
			return fmt.Errorf("client %d read %d: %w", id, i, err)
		}
		if !bytes.Equal(out, got) {
			return fmt.Errorf("client %d messages %d..: got %q, want %q", id, i, got, out)
		}
	}
	return nil
}

// TestThousandClientsEcho: 1,000 concurrent clients each echo 100
// messages, ten per round trip (one round trip per message is 100,000
// round trips: too slow under -race on two cores); every byte is checked.
func TestThousandClientsEcho(t *testing.T) {
	const clients, msgs = 1000, 100
	h := newHarness(t)
	srv := &countingEcho{}
	l := h.listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return srv })
	deadline := time.Now().Add(40 * time.Second) // a hang bound, not a speed target
	start := time.Now()
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", l.Addr().String(), waitTimeout)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(deadline)
			if err := echoClient(c, id, msgs, 10); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	assert.Zero(t, n, "failed clients")
	t.Logf("%d clients x %d round trips in %v", clients, msgs, time.Since(start))
	srv.settle(t)
	assert.EqualValues(t, clients, srv.opened.Load())
}

// TestMisbehavingPeersDoNotDisturbOthers: while well-behaved clients echo
// and one downloads a large queued answer, other clients send garbage and
// reset their connections (SO_LINGER 0). Nobody else loses a byte.
func TestMisbehavingPeersDoNotDisturbOthers(t *testing.T) {
	h := newHarness(t)
	srv := &countingEcho{}
	answer := pattern(8<<20, 11)
	l := h.listen("tcp", "127.0.0.1:0", func(c *Conn) Handler { return srv })
	big := h.listen("tcp", "127.0.0.1:0", func(c *Conn) Handler {
		return HandlerFuncs{OnPostInit: func(c *Conn) {
			srv.opened.Add(1)
			c.Write(answer)
			c.CloseAfterWriting()
		}, OnUnbind: srv.Unbind}
	})
	downloader := dial(t, "tcp", big.Addr().String()) // reads only at the end

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for id := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", l.Addr().String(), waitTimeout)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(waitTimeout))
			if err := echoClient(c, id, 200, 1); err != nil {
				errs <- err
			}
		}()
	}
	for id := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", l.Addr().String(), waitTimeout)
			if err != nil {
				errs <- err
				return
			}
			garbage := make([]byte, rand.IntN(64<<10)+1)
			for i := range garbage {
				garbage[i] = byte(rand.Uint32())
			}
			c.Write(garbage) // the server echoes; we never read: the reset drops it
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			_ = id
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.NoError(t, downloader.SetDeadline(time.Now().Add(waitTimeout)))
	got, err := io.ReadAll(downloader)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(answer, got), "the queued 8 MiB arrived intact (%d bytes)", len(got))
	downloader.Close()
	srv.settle(t)
	assert.EqualValues(t, 221, srv.opened.Load())
}
