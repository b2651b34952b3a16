package reactor

import (
	"bytes"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A peer that does not read pauses the source: the target never holds more
// than its buffer plus one read plus one pipe, whatever the client sends.
func TestProxyBackpressureBoundsTarget(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		rig := newPxRig(t, r, false)
		var mu sync.Mutex
		peak := 0
		pxOn(t, r, func() {
			require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxySplice(splice)))
			r.AddPeriodicTimer(time.Millisecond, func() {
				mu.Lock()
				peak = max(peak, rig.dst.OutboundSize())
				mu.Unlock()
			})
		})
		data := nettest.Pattern(48<<20, 4)
		sent := pxWrite(rig.client, data)
		pxEventually(t, r, "the source waits for the target", func() bool {
			return rig.src.flags&fProxyWait != 0
		})
		time.Sleep(50 * time.Millisecond) // the client keeps pushing meanwhile
		got := pxReadN(t, rig.peer, len(data))
		require.NoError(t, pxRecv(t, sent, "client write"))
		assert.True(t, bytes.Equal(data, got), "intact")
		mu.Lock()
		defer mu.Unlock()
		bound := defaultProxyBuffer + len(r.readBuf) + pipeSize
		assert.Positive(t, peak, "the target did queue")
		assert.LessOrEqual(t, peak, bound, "target buffer bounded")
	})
}

// Bytes left in a pipe when the target pushes back stay its first output:
// a Write after them and the end of the proxy do not reorder anything.
func TestProxyPipePendingKeepsOrder(t *testing.T) {
	if !spliceSupported {
		t.Skip("no splice on this OS")
	}
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	pxOn(t, r, func() { require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxyStopped(rig.srcH.onStop))) })
	data := nettest.Pattern(12<<20, 5)
	sent := pxWrite(rig.client, data)
	pxEventually(t, r, "spliced bytes wait in the target's pipe", func() bool {
		return rig.dst.px() != nil && rig.dst.px().pipe != nil && rig.dst.px().pipe.n > 0
	})
	var moved int64
	pxOn(t, r, func() {
		require.NotNil(t, rig.dst.px().pipe, "still pending")
		moved = rig.src.ProxiedBytes()
		_, err := rig.dst.Write([]byte("MARK"))
		require.NoError(t, err)
		rig.src.StopProxy()
		assert.Greater(t, rig.dst.OutboundSize(), 4, "the pipe counts as outbound")
	})
	assert.ErrorIs(t, pxRecv(t, rig.srcH.stopped, "stop callback"), ErrProxyStopped)
	got := pxReadN(t, rig.peer, int(moved)+4)
	assert.True(t, bytes.Equal(data[:moved], got[:moved]), "spliced bytes first")
	assert.Equal(t, "MARK", string(got[moved:]), "then the Write")
	require.NoError(t, pxRecv(t, sent, "client write"))
	pxEventually(t, r, "the rest reaches ReceiveData", func() bool { return int64(rig.srcH.GotLen()) == int64(len(data))-moved })
	assert.True(t, bytes.Equal(data[moved:], rig.srcH.Got()), "intact")
	pxOn(t, r, func() {
		assert.Zero(t, pxPipesInUse(r))
		assert.Zero(t, rig.dst.OutboundSize())
	})
}

// A target closed with bytes in its pipe frees the pipe (its fds are
// closed, not pooled) and tells the source.
func TestProxyTargetClosedWithPipePending(t *testing.T) {
	if !spliceSupported {
		t.Skip("no splice on this OS")
	}
	r := pxLoop(t)
	basePipes := pxPipeFds(t)
	rig := newPxRig(t, r, false)
	pxOn(t, r, func() { require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxyStopped(rig.srcH.onStop))) })
	sent := pxWrite(rig.client, nettest.Pattern(12<<20, 6))
	pxEventually(t, r, "spliced bytes wait in the target's pipe", func() bool {
		return rig.dst.px() != nil && rig.dst.px().pipe != nil
	})
	pxOn(t, r, func() { rig.dst.Close() })
	assert.NoError(t, pxRecv(t, rig.dstH.unbound, "target unbind"))
	assert.ErrorIs(t, pxRecv(t, rig.srcH.stopped, "target-unbound callback"), ErrProxyTargetClosed)
	idle := 0
	pxOn(t, r, func() {
		assert.Zero(t, pxPipesInUse(r))
		idle = len(r.pipes.idle)
		assert.False(t, rig.src.Closed())
	})
	assert.Equal(t, basePipes+2*idle, pxPipeFds(t), "only idle pool pipes stay open")
	rig.client.Close()
	<-sent
}

// With no pipe to be had the proxy copies, and nothing fails.
func TestProxyFallsBackWithoutPipes(t *testing.T) {
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	pxOn(t, r, func() {
		r.pipePool().max = 0
		require.NoError(t, rig.src.ProxyTo(rig.dst))
	})
	data := nettest.Pattern(8<<20, 7)
	sent := pxWrite(rig.client, data)
	assert.True(t, bytes.Equal(data, pxReadN(t, rig.peer, len(data))), "intact")
	require.NoError(t, pxRecv(t, sent, "client write"))
	pxOn(t, r, func() {
		assert.Zero(t, rig.src.px().spliced)
		assert.Equal(t, int64(len(data)), rig.src.px().copied)
	})
}

// Many stalled targets each hold a pipe; once they drain the pool keeps at
// most pipeIdleMax of them and closes the rest.
func TestPipePoolBounded(t *testing.T) {
	if !spliceSupported {
		t.Skip("no splice on this OS")
	}
	r := pxLoop(t)
	const n = pipeIdleMax + 4
	rigs := make([]*pxRig, n)
	sends := make([]<-chan error, n)
	data := nettest.Pattern(6<<20, 8) // the target's pipe stays full from about 4 MiB on
	for i := range rigs {
		rigs[i] = newPxRig(t, r, false)
		pxOn(t, r, func() { require.NoError(t, rigs[i].src.ProxyTo(rigs[i].dst)) })
		sends[i] = pxWrite(rigs[i].client, data)
	}
	pxEventually(t, r, "every target holds a pipe", func() bool {
		for _, rig := range rigs {
			if rig.dst.px() == nil || rig.dst.px().pipe == nil {
				return false
			}
		}
		return true
	})
	pxOn(t, r, func() { assert.Equal(t, n, pxPipesInUse(r)) })
	var wg sync.WaitGroup
	for _, rig := range rigs {
		wg.Go(func() {
			rig.peer.SetReadDeadline(time.Now().Add(pxWait))
			got := make([]byte, len(data))
			_, err := io.ReadFull(rig.peer, got)
			assert.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "intact")
		})
	}
	wg.Wait()
	for _, s := range sends {
		require.NoError(t, pxRecv(t, s, "client write"))
	}
	pxOn(t, r, func() {
		assert.Zero(t, pxPipesInUse(r))
		assert.LessOrEqual(t, len(r.pipes.idle), pipeIdleMax)
	})
}

// pxPipeFds counts the pipes this process has open.
func pxPipeFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "pipe:") {
			n++
		}
	}
	return n
}

// A unix-socket source proxied to a TCP target: intact, spliced where the
// kernel can, copied where it cannot.
func TestProxyUnixToTCP(t *testing.T) {
	r := pxLoop(t)
	path := t.TempDir() + "/px.sock"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan *Conn, 1)
	var dst *Conn
	pxOn(t, r, func() {
		_, err = r.Listen("unix", path, func(c *Conn) Handler { accepted <- c; return newPxHandler() })
		require.NoError(t, err)
		dst, err = r.Connect("tcp", ln.Addr().String(), newPxHandler())
		require.NoError(t, err)
	})
	client, err := net.Dial("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	src := pxRecv(t, accepted, "accept")
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(pxWait)))
	peer, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { peer.Close() })
	pxOn(t, r, func() { require.NoError(t, src.ProxyTo(dst)) })
	data := nettest.Pattern(6<<20, 22)
	sent := pxWrite(client, data)
	assert.True(t, bytes.Equal(data, pxReadN(t, peer, len(data))), "intact")
	require.NoError(t, pxRecv(t, sent, "client write"))
	pxOn(t, r, func() {
		t.Logf("spliced %d, copied %d", src.px().spliced, src.px().copied)
		assert.Equal(t, int64(len(data)), src.px().spliced+src.px().copied)
	})
}
