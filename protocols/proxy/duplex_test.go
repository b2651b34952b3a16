package proxy_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
)

// stagingRecorder is a staging server that hashes what each connection
// sent; read slows it down (nil: as fast as it can).
type stagingRecorder struct {
	mu   sync.Mutex
	sums map[[32]byte]int
}

func (s *stagingRecorder) serve(read func(c *net.TCPConn) []byte) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		got := read(c)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sums[sha256.Sum256(got)]++
	}
}

func (s *stagingRecorder) count(sum [32]byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sums[sum]
}

// Production is answered byte for byte whatever staging does; staging gets
// an exact copy when it keeps up, and the drop is counted when it does not.
func TestDuplexStaging(t *testing.T) {
	const clients = 3
	rec := &stagingRecorder{sums: map[[32]byte]int{}}
	fast := func(c *net.TCPConn) []byte { b, _ := io.ReadAll(c); return b }
	cases := []struct {
		name    string
		size    int // per client; large enough to overflow the kernel's buffers where a cut-off is expected
		staging func(t *testing.T) string
		buffer  int
		check   func(t *testing.T, s proxy.Snapshot, size int, sums [][32]byte)
	}{{
		name:    "up",
		size:    2 << 20,
		staging: func(t *testing.T) string { return serve(t, rec.serve(fast)) },
		buffer:  64 << 20, // a scheduling hiccup under -race must not cut the copy
		check: func(t *testing.T, s proxy.Snapshot, size int, sums [][32]byte) {
			assert.Equal(t, uint64(clients*size), s.StagingBytes)
			assert.Zero(t, s.StagingDroppedBytes)
			for _, sum := range sums {
				eventually(t, "staging got the exact copy", func() bool { return rec.count(sum) == 1 })
			}
		},
	}, {
		name:    "refusing",
		size:    2 << 20,
		staging: func(t *testing.T) string { return nettest.RefusedAddr(t) },
		check: func(t *testing.T, s proxy.Snapshot, size int, _ [][32]byte) {
			assert.Equal(t, uint64(clients), s.StagingConnectFailures)
			assert.Equal(t, uint64(clients*size), s.StagingDroppedBytes)
		},
	}, {
		name: "stalled", // accepts and never reads
		size: 8 << 20,
		staging: func(t *testing.T) string {
			done := make(chan struct{})
			addr := serve(t, func(c *net.TCPConn) { <-done })
			t.Cleanup(func() { close(done) })
			return addr
		},
		buffer: 256 << 10,
		check: func(t *testing.T, s proxy.Snapshot, _ int, _ [][32]byte) {
			assert.Equal(t, uint64(clients), s.StagingCutoffs)
			assert.Positive(t, s.StagingDroppedBytes)
		},
	}, {
		name: "slow", // reads 4 KiB every 5 ms
		size: 8 << 20,
		staging: func(t *testing.T) string {
			done := make(chan struct{})
			addr := serve(t, func(c *net.TCPConn) {
				buf := make([]byte, 4<<10)
				for {
					select {
					case <-done:
						return
					case <-time.After(5 * time.Millisecond):
					}
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
			t.Cleanup(func() { close(done) })
			return addr
		},
		buffer: 256 << 10,
		check: func(t *testing.T, s proxy.Snapshot, _ int, _ [][32]byte) {
			assert.Equal(t, uint64(clients), s.StagingCutoffs)
		},
	}, {
		name:    "unresponsive", // connects hang: the copy is cut off at the buffer limit
		size:    2 << 20,
		staging: func(t *testing.T) string { return nettest.StalledAddr(t) },
		buffer:  256 << 10,
		check: func(t *testing.T, s proxy.Snapshot, _ int, _ [][32]byte) {
			assert.Equal(t, uint64(clients), s.StagingCutoffs+s.StagingConnectFailures)
			assert.Positive(t, s.StagingDroppedBytes)
		},
	}, {
		name: "dies", // accepts, takes the first bytes, then resets
		size: 2 << 20,
		// Reset only after the first byte arrived: a reset right after
		// accept can reach the proxy before it sees the connect complete,
		// and then it is rightly counted as a connect failure.
		staging: func(t *testing.T) string {
			return serve(t, func(c *net.TCPConn) {
				var b [1]byte
				c.Read(b[:])
				c.SetLinger(0)
			})
		},
		check: func(t *testing.T, s proxy.Snapshot, _ int, _ [][32]byte) {
			assert.Zero(t, s.StagingConnectFailures, "it did connect")
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lg := &logBuf{}
			dup := &proxy.Duplex{Production: serve(t, echo), Staging: tc.staging(t), StagingBuffer: tc.buffer,
				Options: proxy.Options{Logger: lg.Logger()}}
			rg := startRig(t, lg, dup.Handler)
			sums := make([][32]byte, clients)
			var wg sync.WaitGroup
			size := tc.size
			for i := range clients {
				data := nettest.Pattern(size, uint64(100+i))
				sums[i] = sha256.Sum256(data)
				wg.Go(func() {
					c := dial(t, rg.addr)
					go func() {
						c.Write(data)
						c.CloseWrite()
					}()
					got, err := readAll(c)
					assert.NoError(t, err)
					assert.True(t, bytes.Equal(data, got), "production answered client %d byte for byte (%d of %d bytes)", i, len(got), len(data))
				})
			}
			wg.Wait()
			eventually(t, "sessions closed", func() bool { return dup.Stats().Snapshot().Active == 0 })
			s := dup.Stats().Snapshot()
			assert.Equal(t, uint64(clients*size), s.BytesToBackend)
			assert.Equal(t, uint64(clients*size), s.BytesToClient)
			assert.Zero(t, s.ConnectFailures)
			assert.Equal(t, uint64(clients*size), s.StagingBytes+s.StagingDroppedBytes, "every byte copied or counted as dropped")
			tc.check(t, s, size, sums)
		})
	}
}

// A refusing production backend closes the client, as a Relay's does.
func TestDuplexProductionRefusing(t *testing.T) {
	lg := &logBuf{}
	dup := &proxy.Duplex{Production: nettest.RefusedAddr(t), Staging: serve(t, echo), Options: proxy.Options{Logger: lg.Logger()}}
	rg := startRig(t, lg, dup.Handler)
	c := dial(t, rg.addr)
	c.Write([]byte("hi"))
	got, _ := readAll(c)
	assert.Empty(t, got)
	eventually(t, "failure counted", func() bool { return dup.Stats().Snapshot().ConnectFailures == 1 })
	assert.Equal(t, 1, lg.Lines("backend connect failed"))
}
