package proxy_test

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/protocols/proxy"
)

// A backend that sends 256 MiB as fast as it can to a client that reads
// slowly: the proxy pauses the backend instead of buffering, so what it
// holds for the client (OutboundSize, sampled on the loop every
// millisecond) stays within a few MiB and its heap does not grow.
func TestRelaySlowReaderBoundsMemory(t *testing.T) {
	const total = 256 << 20
	const tile = 1<<20 + 13 // odd: the tiles do not line up with buffer and pipe sizes
	modes(t, func(t *testing.T, noSplice bool) {
		blk := nettest.Pattern(tile, 0)
		backend := serve(t, func(c *net.TCPConn) {
			for sent := 0; sent < total; {
				n, err := c.Write(blk[:min(len(blk), total-sent)])
				if err != nil {
					return
				}
				sent += n
			}
		})
		lg := &logBuf{}
		relay := &proxy.Relay{Backend: backend, Options: proxy.Options{NoSplice: noSplice, Logger: lg.Logger()}}
		rg := startRig(t, lg, relay.Handler)

		var mu sync.Mutex
		peak := 0
		rg.on(t, func() {
			rg.r.AddPeriodicTimer(time.Millisecond, func() {
				rg.mu.Lock()
				defer rg.mu.Unlock()
				mu.Lock()
				defer mu.Unlock()
				for _, c := range rg.cs {
					peak = max(peak, c.OutboundSize())
				}
			})
		})
		heapBase, heapPeak := heapInuse(), uint64(0)

		c := dial(t, rg.addr)
		require.NoError(t, c.SetDeadline(time.Now().Add(watchdog)))
		time.Sleep(300 * time.Millisecond) // everything upstream fills up first
		buf := make([]byte, 64<<10)
		for got := 0; got < total; {
			n, err := c.Read(buf)
			if !assert.True(t, matches(blk, got, buf[:n]), "bytes %d..%d intact", got, got+n) || err != nil {
				require.ErrorIs(t, err, io.EOF, "after %d of %d bytes", got, total)
				require.Equal(t, total, got+n)
				break
			}
			if got/(1<<20) != (got+n)/(1<<20) { // one more MiB read: pause, sample the heap
				time.Sleep(3 * time.Millisecond)
				if got%(8<<20) < n {
					heapPeak = max(heapPeak, heapInuse())
				}
			}
			got += n
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("peak OutboundSize %d KiB, heap growth %d KiB", peak>>10, (int64(heapPeak)-int64(heapBase))>>10)
		assert.Positive(t, peak, "the proxy did have to hold bytes back")
		assert.LessOrEqual(t, peak, 4<<20, "what the proxy holds for the client stays within a few MiB")
		assert.Less(t, int64(heapPeak)-int64(heapBase), int64(32<<20), "no unbounded buffering in the process")
		assert.Equal(t, uint64(total), relay.Stats().Snapshot().BytesToClient)
	})
}

// matches reports whether p is what a backend sending blk over and over
// sent from offset off.
func matches(blk []byte, off int, p []byte) bool {
	for o := off % len(blk); len(p) > 0; o = 0 {
		n := min(len(blk)-o, len(p))
		if !bytes.Equal(blk[o:o+n], p[:n]) {
			return false
		}
		p = p[n:]
	}
	return true
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
