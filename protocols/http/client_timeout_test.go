package http

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

func TestClientDefaults(t *testing.T) {
	c := NewClient(nil)
	assert.Equal(t, 5*time.Second, c.cfg.connectTimeout, "em-http-request's connect_timeout")
	assert.Equal(t, 10*time.Second, c.cfg.inactivity, "em-http-request's inactivity_timeout")
	assert.Equal(t, 0, c.cfg.redirects, "redirects are off by default")
	assert.Zero(t, c.cfg.timeout, "no overall timeout by default, as net/http")
	assert.True(t, c.cfg.keepAlive)
}

// clientAssertTimeout checks that err is a *url.Error reporting a timeout
// that wraps sentinel.
func clientAssertTimeout(t *testing.T, err error, sentinel error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, sentinel)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.Timeout(), "the error reports Timeout(): %v", err)
}

// TestClientSlowResponseWithinInactivityTimeout sends a body one byte at a
// time, 0.9 s apart on the reactor's fake clock, 9 s in all against a 1 s
// inactivity timeout: every byte restarts the timeout, so the request
// succeeds. The fake clock moves only when the test says so (after the
// client has the byte), so a loaded machine cannot make a gap look longer
// than it is.
func TestClientSlowResponseWithinInactivityTimeout(t *testing.T) {
	const pieces, gap, idle = 10, 900 * time.Millisecond, time.Second
	next := make(chan struct{})
	url := clientRawServer(t, func(conn net.Conn) {
		if clientReadRequest(bufio.NewReader(conn)) == nil {
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", pieces)
		for i := range pieces {
			select {
			case <-next:
			case <-time.After(testWatchdog):
				return
			}
			fmt.Fprintf(conn, "%d", i)
		}
	})
	clk := timer.NewFakeClock(time.Unix(1e9, 0))
	r := startReactor(t, reactor.WithClock(clk))
	c := NewClient(r, WithClientInactivityTimeout(idle))
	chunks := make(chan string, pieces)
	ch := make(chan clientResult, 1)
	r.NextTick(func() {
		c.Get(url, func(resp *ClientResponse, err error) {
			ch <- clientResult{resp, err, time.Now()}
		}).Stream(func(chunk []byte) {
			if len(chunk) > 0 {
				chunks <- string(chunk)
			}
		})
	})
	body := ""
	for i := range pieces {
		next <- struct{}{}
		body += waitFor(t, chunks, fmt.Sprintf("byte %d", i))
		if i == pieces-1 {
			break
		}
		onLoop(t, r, func() { clk.Advance(gap) })
		onLoop(t, r, func() {}) // one more iteration: due timers ran
		select {
		case res := <-ch:
			t.Fatalf("request ended after byte %d: %v", i, res.err)
		default:
		}
	}
	res := waitFor(t, ch, "callback")
	require.NoError(t, res.err, "traffic keeps restarting the inactivity timeout")
	assert.Equal(t, "0123456789", body)
	assert.Greater(t, time.Duration(pieces-1)*gap, idle, "the response took longer than the timeout")
}

func TestClientStalledServerTripsInactivityTimeout(t *testing.T) {
	stop := make(chan struct{})
	s := clientNewServer(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("first ten!"))
		w.(http.Flusher).Flush()
		select { // stall until the client gives up (or the test ends)
		case <-req.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop) })
	r := startReactor(t)
	const idle = 300 * time.Millisecond
	c := NewClient(r, WithClientInactivityTimeout(idle))
	start := time.Now()
	res := clientGet(t, r, c, s.URL)
	clientAssertTimeout(t, res.err, reactor.ErrInactivityTimeout)
	assert.Nil(t, res.resp)
	assert.GreaterOrEqual(t, res.at.Sub(start), idle)
}

// TestClientDefaultInactivityTimeoutFakeClock checks the 10 s default
// without waiting 10 s: the reactor runs on a fake clock that the test
// advances from the loop.
func TestClientDefaultInactivityTimeoutFakeClock(t *testing.T) {
	got := make(chan struct{})
	url := clientRawServer(t, func(conn net.Conn) {
		clientReadRequest(bufio.NewReader(conn))
		close(got)
		conn.Read(make([]byte, 1)) // stall until the client closes
	})
	clk := timer.NewFakeClock(time.Unix(1e9, 0))
	r := startReactor(t, reactor.WithClock(clk))
	c := NewClient(r)
	ch := make(chan clientResult, 1)
	r.NextTick(func() {
		c.Get(url, func(resp *ClientResponse, err error) { ch <- clientResult{resp, err, time.Now()} })
	})
	waitFor(t, got, "request at the server")
	onLoop(t, r, func() { clk.Advance(9 * time.Second) })
	onLoop(t, r, func() {}) // one more iteration: due timers ran
	onLoop(t, r, func() {})
	select {
	case res := <-ch:
		t.Fatalf("request ended before the default inactivity timeout: %v", res.err)
	default:
	}
	onLoop(t, r, func() { clk.Advance(2 * time.Second) })
	res := waitFor(t, ch, "callback")
	clientAssertTimeout(t, res.err, reactor.ErrInactivityTimeout)
}

func TestClientConnectTimeout(t *testing.T) {
	addr := nettest.StalledAddr(t)
	r := startReactor(t)
	const ct = 300 * time.Millisecond
	c := NewClient(r, WithClientConnectTimeout(ct))
	start := time.Now()
	res := clientGet(t, r, c, "http://"+addr+"/")
	clientAssertTimeout(t, res.err, reactor.ErrConnectTimeout)
	assert.GreaterOrEqual(t, res.at.Sub(start), ct)
}

func TestClientDefaultConnectTimeoutFakeClock(t *testing.T) {
	addr := nettest.StalledAddr(t)
	clk := timer.NewFakeClock(time.Unix(1e9, 0))
	r := startReactor(t, reactor.WithClock(clk))
	c := NewClient(r)
	ch := make(chan clientResult, 1)
	onLoop(t, r, func() {
		c.Get("http://"+addr+"/", func(resp *ClientResponse, err error) { ch <- clientResult{resp, err, time.Now()} })
	})
	onLoop(t, r, func() { clk.Advance(4 * time.Second) })
	onLoop(t, r, func() {})
	onLoop(t, r, func() {})
	select {
	case res := <-ch:
		t.Fatalf("request ended before the default connect timeout: %v", res.err)
	default:
	}
	onLoop(t, r, func() { clk.Advance(2 * time.Second) })
	res := waitFor(t, ch, "callback")
	clientAssertTimeout(t, res.err, reactor.ErrConnectTimeout)
	assert.False(t, errors.Is(res.err, reactor.ErrInactivityTimeout))
}
