package http

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// clientTrickleServer answers with a chunked body of one byte every gap,
// for ever (in fact until the client leaves, 400 bytes or the watchdog).
func clientTrickleServer(t *testing.T, gap time.Duration) string {
	return clientRawServer(t, func(conn net.Conn) {
		if clientReadRequest(bufio.NewReader(conn)) == nil {
			return
		}
		if _, err := conn.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")); err != nil {
			return
		}
		for range 400 {
			if _, err := conn.Write([]byte("1\r\nx\r\n")); err != nil {
				return
			}
			time.Sleep(gap)
		}
	})
}

// clientAssertDeadline checks that err is the overall timeout's.
func clientAssertDeadline(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrClientTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "as net/http's Client.Timeout")
	assert.False(t, errors.Is(err, reactor.ErrInactivityTimeout))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.True(t, ue.Timeout(), "url.Error sees the timeout: %v", err)
}

// A server that keeps the connection busy with a byte every 50 ms never
// trips the inactivity timeout; the overall timeout ends the request.
func TestClientTimeoutTrickle(t *testing.T) {
	url := clientTrickleServer(t, 50*time.Millisecond)
	r := startReactor(t)
	const d = 300 * time.Millisecond
	c := NewClient(r, WithClientTimeout(d), WithClientInactivityTimeout(5*time.Second))
	for _, stream := range []bool{false, true} {
		got := 0
		start := time.Now()
		res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
			req := c.Get(url, cb)
			if stream {
				req.Stream(func(b []byte) { got += len(b) })
			}
		})
		clientAssertDeadline(t, res.err)
		assert.Nil(t, res.resp)
		elapsed := res.at.Sub(start)
		assert.GreaterOrEqual(t, elapsed, d, "stream=%v", stream)
		assert.Less(t, elapsed, 4*time.Second, "well before the inactivity timeout")
		if stream {
			assert.Positive(t, got, "bytes kept arriving until the timeout")
		}
	}
}

// The timeout counts from the call: time queued for a connection counts.
func TestClientTimeoutIncludesQueueing(t *testing.T) {
	url, got := clientStallServer(t)
	r := startReactor(t)
	const d = 300 * time.Millisecond
	c := NewClient(r, WithClientTimeout(d), WithClientMaxConnsPerHost(1))
	results := make(chan clientResult, 2)
	start := time.Now()
	r.NextTick(func() {
		for range 2 { // one in flight, one queued behind it all along
			c.Get(url, func(resp *ClientResponse, err error) { results <- clientResult{resp, err, time.Now()} })
		}
	})
	waitFor(t, got, "request at the server")
	for range 2 {
		res := waitFor(t, results, "result")
		clientAssertDeadline(t, res.err)
		assert.GreaterOrEqual(t, res.at.Sub(start), d)
		assert.Less(t, res.at.Sub(start), 4*time.Second)
	}
}

// A request that completes cancels its timer; with no timeout no timer is
// made at all.
func TestClientTimeoutTimerLifecycle(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientHello))
	r := startReactor(t)
	c := NewClient(r, WithClientTimeout(time.Hour))
	var req *ClientRequest
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
		req = c.Get(s.URL, cb)
		assert.True(t, req.deadline.Active())
	})
	require.NoError(t, res.err)
	onLoop(t, r, func() { assert.Nil(t, req.deadline, "cancelled and dropped on completion") })

	c = NewClient(r)
	onLoop(t, r, func() {
		req = c.Get(s.URL, func(*ClientResponse, error) {})
		assert.Nil(t, req.deadline, "off: no timer")
	})
}

// A context deadline still works next to the option, and the earlier of
// the two wins.
func TestClientTimeoutAndContextDeadline(t *testing.T) {
	url, _ := clientStallServer(t)
	r := startReactor(t)
	c := NewClient(r, WithClientTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	require.NoError(t, err)
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
	assert.ErrorIs(t, res.err, context.DeadlineExceeded)
	assert.False(t, errors.Is(res.err, ErrClientTimeout), "the context's deadline, not the option's")
}
