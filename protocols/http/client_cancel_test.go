package http

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientStallServer answers nothing after reading a request; got receives
// one value per request read.
func clientStallServer(t *testing.T) (string, chan struct{}) {
	got := make(chan struct{}, 16)
	url := clientRawServer(t, func(conn net.Conn) {
		clientReadRequest(bufio.NewReader(conn))
		got <- struct{}{}
		conn.Read(make([]byte, 1))
	})
	return url, got
}

func TestClientCancel(t *testing.T) {
	url, got := clientStallServer(t)
	r := startReactor(t)
	c := NewClient(r, WithClientMaxConnsPerHost(1))
	results := make(chan clientResult, 2)
	var inflight, queued *ClientRequest
	onLoop(t, r, func() {
		cb := func(resp *ClientResponse, err error) { results <- clientResult{resp: resp, err: err} }
		inflight = c.Get(url+"/1", cb)
		queued = c.Get(url+"/2", cb)
	})
	waitFor(t, got, "request at the server")
	onLoop(t, r, func() {
		queued.Cancel()
		assert.True(t, queued.Done())
		inflight.Cancel()
		inflight.Cancel() // twice is harmless
	})
	for range 2 {
		res := waitFor(t, results, "result")
		assert.ErrorIs(t, res.err, ErrClientCanceled)
	}
	select {
	case <-got:
		t.Fatal("the cancelled queued request was sent")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestClientCancelFromStream(t *testing.T) {
	s := clientNewServer(t, http.HandlerFunc(clientServeBig))
	r := startReactor(t)
	c := NewClient(r)
	pieces := 0
	res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
		var req *ClientRequest
		req = c.Get(s.URL+"/?chunked=1", cb).Stream(func([]byte) {
			pieces++
			req.Cancel()
		})
	})
	assert.ErrorIs(t, res.err, ErrClientCanceled)
	assert.Equal(t, 1, pieces, "nothing is streamed after Cancel")
	res = clientGet(t, r, c, s.URL+"/?chunked=1")
	require.NoError(t, res.err, "the client goes on after a cancel")
}

func TestClientContextCancel(t *testing.T) {
	url, got := clientStallServer(t)
	r := startReactor(t)
	c := NewClient(r)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	require.NoError(t, err)
	results := make(chan clientResult, 1)
	r.NextTick(func() {
		c.Do(req, func(resp *ClientResponse, err error) { results <- clientResult{resp: resp, err: err} })
	})
	waitFor(t, got, "request at the server")
	cancel()
	res := waitFor(t, results, "result")
	assert.ErrorIs(t, res.err, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err = http.NewRequestWithContext(ctx, "GET", url, nil)
	require.NoError(t, err)
	res = clientDo(t, r, func(cb func(*ClientResponse, error)) { c.Do(req, cb) })
	assert.ErrorIs(t, res.err, context.DeadlineExceeded)
}

func TestClientClose(t *testing.T) {
	url, got := clientStallServer(t)
	r := startReactor(t)
	c := NewClient(r, WithClientMaxConnsPerHost(1))
	results := make(chan clientResult, 3)
	cb := func(resp *ClientResponse, err error) { results <- clientResult{resp: resp, err: err} }
	r.NextTick(func() {
		c.Get(url+"/1", cb)
		c.Get(url+"/2", cb)
	})
	waitFor(t, got, "request at the server")
	onLoop(t, r, func() {
		c.Close()
		c.Get(url+"/3", cb)
	})
	for range 3 {
		res := waitFor(t, results, "result")
		assert.ErrorIs(t, res.err, ErrClientClosed)
	}
	n := -1
	assert.Eventually(t, func() bool {
		onLoop(t, r, func() { n = r.ConnectionCount() })
		return n == 0
	}, testWatchdog, 10*time.Millisecond, "Close closed the connection")
}
