package http

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
)

// The consumer of an 8 MiB stream pauses after the first piece: the
// server's writes stop being accepted (TCP holds it back) for longer than
// the inactivity timeout, which does not end the paused request; after
// Resume every byte arrives intact.
func TestClientPauseHoldsServerBack(t *testing.T) {
	body := nettest.Pattern(8<<20, 11)
	var accepted atomic.Int64 // body bytes the server's kernel took
	served := make(chan error, 1)
	url := clientRawServer(t, func(conn net.Conn) {
		// A fixed send buffer (no autotuning), so that a blocked write
		// shows after little data.
		conn.(*net.TCPConn).SetWriteBuffer(64 << 10)
		if clientReadRequest(bufio.NewReader(conn)) == nil {
			served <- io.ErrUnexpectedEOF
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body))
		var err error
		for off := 0; off < len(body) && err == nil; off += 64 << 10 {
			var n int
			n, err = conn.Write(body[off : off+64<<10])
			accepted.Add(int64(n))
		}
		served <- err
	})
	r := startReactor(t)
	const idle = 200 * time.Millisecond
	c := NewClient(r, WithClientInactivityTimeout(idle))
	var req *ClientRequest
	h := sha256.New()
	pieces, total := 0, 0
	paused := make(chan struct{})
	results := make(chan clientResult, 1)
	r.NextTick(func() {
		req = c.Get(url, func(resp *ClientResponse, err error) { results <- clientResult{resp, err, time.Now()} }).
			Stream(func(chunk []byte) {
				pieces++
				total += len(chunk)
				h.Write(chunk)
				if pieces == 1 {
					req.Pause()
					close(paused)
				}
			})
	})
	waitFor(t, paused, "first piece")
	pausedAt := time.Now()

	// The server's accepted count stops growing: sampled every 100 ms, it
	// must hold still for 5 samples in a row, and the pause must outlast
	// the inactivity timeout several times over.
	var still int64
	stable, last := 0, int64(-1)
	deadline := time.Now().Add(testWatchdog)
	for stable < 5 || time.Since(pausedAt) < 5*idle {
		require.True(t, time.Now().Before(deadline), "watchdog: the server kept writing (%d bytes)", accepted.Load())
		time.Sleep(100 * time.Millisecond)
		if n := accepted.Load(); n == last {
			stable++
		} else {
			stable, last = 0, n
		}
	}
	still = last
	t.Logf("paused: the server's kernel took %d of %d bytes, then its writes blocked", still, len(body))
	assert.Less(t, still, int64(len(body)/2), "TCP held the server back")
	select {
	case res := <-results:
		t.Fatalf("the paused request ended: %v", res.err)
	default:
	}
	onLoop(t, r, func() {
		assert.True(t, req.Paused())
		assert.False(t, req.Done())
		assert.Equal(t, 1, pieces, "no piece while paused")
		req.Resume()
		assert.False(t, req.Paused())
		assert.Equal(t, 1, pieces, "held pieces are not delivered inside Resume")
	})
	res := waitFor(t, results, "callback")
	require.NoError(t, res.err)
	assert.NoError(t, waitFor(t, served, "server done"))
	assert.Equal(t, int64(len(body)), accepted.Load())
	onLoop(t, r, func() {
		assert.Equal(t, len(body), total)
		want := sha256.Sum256(body)
		assert.Equal(t, want[:], h.Sum(nil), "every byte, in order")
	})
}

// clientRepeatServer answers every request on a connection with reply and
// counts connections.
func clientRepeatServer(t *testing.T, reply string) (string, *atomic.Int64, chan struct{}) {
	var conns atomic.Int64
	got := make(chan struct{}, 16)
	url := clientRawServer(t, func(conn net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(conn)
		for clientReadRequest(br) != nil {
			got <- struct{}{}
			if _, err := io.WriteString(conn, reply); err != nil {
				return
			}
		}
	})
	return url, &conns, got
}

// TestClientPauseSemantics: nothing reaches Stream or the completion
// callback while paused, not even bytes already read; Resume delivers
// them later, never inside Resume; the connection is reused afterwards;
// Pause after completion does nothing.
func TestClientPauseSemantics(t *testing.T) {
	const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n0\r\n\r\n"
	const sized = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	cases := []struct {
		name, reply string
		when        string // where the request pauses: "piece" (the first), "headers", "call"
		want        []string
	}{
		{"chunked, at the first piece", chunked, "piece", []string{"a", "b", "c", "d"}},
		{"content-length, at the last piece", sized, "piece", []string{"hello"}},
		{"in OnHeaders", chunked, "headers", []string{"a", "b", "c", "d"}},
		{"at the call", sized, "call", []string{"hello"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, conns, got := clientRepeatServer(t, tc.reply)
			r := startReactor(t)
			c := NewClient(r)
			var req *ClientRequest
			var pieces []string
			ready := make(chan struct{})
			results := make(chan clientResult, 1)
			r.NextTick(func() {
				req = c.Get(url, func(resp *ClientResponse, err error) { results <- clientResult{resp, err, time.Now()} })
				req.Stream(func(chunk []byte) {
					pieces = append(pieces, string(chunk))
					if tc.when == "piece" && len(pieces) == 1 {
						req.Pause()
						close(ready)
					}
				})
				switch tc.when {
				case "headers":
					req.OnHeaders(func(*ClientResponse) {
						req.Pause()
						close(ready)
					})
				case "call":
					req.Pause()
				}
			})
			if tc.when == "call" {
				waitFor(t, got, "request at the server") // sent while paused
				time.Sleep(50 * time.Millisecond)        // the reply is in flight; only a hint, nothing relies on it
			} else {
				waitFor(t, ready, "pause")
			}
			for range 3 { // a few loop iterations: nothing moves while paused
				onLoop(t, r, func() {})
			}
			held := 0
			if tc.when == "piece" {
				held = 1
			}
			select {
			case res := <-results:
				t.Fatalf("completed while paused: %v", res.err)
			default:
			}
			onLoop(t, r, func() {
				assert.True(t, req.Paused())
				assert.Len(t, pieces, held, "nothing delivered while paused")
				req.Resume()
				assert.Len(t, pieces, held, "not inside Resume")
			})
			res := waitFor(t, results, "callback")
			require.NoError(t, res.err)
			onLoop(t, r, func() {
				assert.Equal(t, tc.want, pieces)
				assert.False(t, req.Paused())
				req.Pause() // after completion: nothing
				assert.False(t, req.Paused())
			})
			res = clientGet(t, r, c, url)
			require.NoError(t, res.err, "the connection serves the next request")
			assert.Equal(t, int64(1), conns.Load(), "on the same connection")
		})
	}
}

// A server that goes away mid-stream ends the request with an error on its
// completion callback, paused or not.
func TestClientStreamServerGoesAway(t *testing.T) {
	const reply = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly the first bytes"
	for _, pause := range []bool{false, true} {
		t.Run(fmt.Sprintf("paused=%v", pause), func(t *testing.T) {
			url := clientRawServer(t, func(conn net.Conn) {
				if clientReadRequest(bufio.NewReader(conn)) != nil {
					io.WriteString(conn, reply)
				}
			})
			r := startReactor(t)
			c := NewClient(r)
			var got bytes.Buffer
			res := clientDo(t, r, func(cb func(*ClientResponse, error)) {
				var req *ClientRequest
				req = c.Get(url, cb).Stream(func(chunk []byte) {
					got.Write(chunk)
					if pause && !req.Paused() {
						req.Pause()
						r.AddTimer(100*time.Millisecond, req.Resume)
					}
				})
			})
			assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF)
			assert.Contains(t, res.err.Error(), "after 20 of 100000 body bytes")
			assert.Nil(t, res.resp)
			onLoop(t, r, func() { assert.Equal(t, "only the first bytes", got.String()) })
		})
	}
}
