package reactor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pxModes runs a test with the splice path allowed and with it off.
func pxModes(t *testing.T, fn func(t *testing.T, splice bool)) {
	t.Run("splice", func(t *testing.T) { fn(t, true) })
	t.Run("copy", func(t *testing.T) { fn(t, false) })
}

func TestProxyToMovesBytesWithoutReceiveData(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r, rig := pxProxying(t, splice)

		data := nettest.Pattern(8<<20, 1)
		sent := pxWrite(rig.client, data)
		got := pxReadN(t, rig.peer, len(data))
		require.NoError(t, pxRecv(t, sent, "client write"))
		assert.True(t, bytes.Equal(data, got), "bytes relayed intact")
		assert.Empty(t, rig.srcH.Got(), "no ReceiveData on the source while proxying")

		var moved, spliced, copied int64
		pxOn(t, r, func() {
			moved, spliced, copied = rig.src.ProxiedBytes(), rig.src.px().spliced, rig.src.px().copied
		})
		assert.Equal(t, int64(len(data)), moved)
		assert.Equal(t, moved, spliced+copied)
		if splice && spliceSupported {
			assert.Greater(t, spliced, int64(len(data)/2), "bulk data goes through the pipe")
		} else {
			assert.Zero(t, spliced)
		}
		pxOn(t, r, func() { assert.Zero(t, pxPipesInUse(r), "no pipe held once the data is through") })
	})
}

func TestProxyLimitStopsAndDeliversTheRest(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		rig := newPxRig(t, r, false)
		const limit = 700_001
		pxOn(t, r, func() {
			require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxySplice(splice), WithProxyLimit(limit), WithProxyStopped(rig.srcH.onStop)))
		})
		data := nettest.Pattern(1<<20, 2)
		sent := pxWrite(rig.client, data)
		got := pxReadN(t, rig.peer, limit)
		assert.True(t, bytes.Equal(data[:limit], got), "intact")
		reason := pxRecv(t, rig.srcH.stopped, "stop callback")
		assert.ErrorIs(t, reason, ErrProxyLimit)
		require.NoError(t, pxRecv(t, sent, "client write"))
		pxEventually(t, r, "the rest reaches ReceiveData", func() bool { return rig.srcH.GotLen() == len(data)-limit })
		assert.True(t, bytes.Equal(data[limit:], rig.srcH.Got()), "intact")
		pxOn(t, r, func() {
			assert.Equal(t, int64(limit), rig.src.ProxiedBytes())
			assert.False(t, rig.src.Proxying())
		})
		require.NoError(t, rig.peer.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
		n, _ := rig.peer.Read(make([]byte, 1))
		assert.Zero(t, n, "not one byte past the limit")
	})
}

func TestProxyTargetUnboundKeepsSourceOpen(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		rig := newPxRig(t, r, false)
		pxOn(t, r, func() {
			require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxySplice(splice), WithProxyStopped(rig.srcH.onStop)))
		})
		_, err := rig.client.Write([]byte("to the target"))
		require.NoError(t, err)
		assert.Equal(t, []byte("to the target"), pxReadN(t, rig.peer, 13))

		require.NoError(t, rig.peer.Close()) // the target's peer goes away: dst closes with EOF
		assert.ErrorIs(t, pxRecv(t, rig.dstH.unbound, "target unbind"), io.EOF)
		reason := pxRecv(t, rig.srcH.stopped, "target-unbound callback")
		assert.ErrorIs(t, reason, ErrProxyTargetClosed)
		assert.ErrorIs(t, reason, io.EOF, "the target's own reason is wrapped")

		_, err = rig.client.Write([]byte("now for me"))
		require.NoError(t, err)
		pxEventually(t, r, "data reaches ReceiveData", func() bool { return string(rig.srcH.Got()) == "now for me" })
		pxOn(t, r, func() { assert.False(t, rig.src.Closed(), "the source stays open") })
	})
}

func TestStopProxyReturnsToReceiveData(t *testing.T) {
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	pxOn(t, r, func() { require.NoError(t, rig.src.ProxyTo(rig.dst, WithProxyStopped(rig.srcH.onStop))) })
	_, err := rig.client.Write([]byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, []byte("abc"), pxReadN(t, rig.peer, 3))
	pxOn(t, r, func() { rig.src.StopProxy() })
	assert.ErrorIs(t, pxRecv(t, rig.srcH.stopped, "stop callback"), ErrProxyStopped)
	_, err = rig.client.Write([]byte("def"))
	require.NoError(t, err)
	pxEventually(t, r, "ReceiveData again", func() bool { return string(rig.srcH.Got()) == "def" })
	pxOn(t, r, func() {
		rig.src.StopProxy() // again: nothing
		assert.Nil(t, rig.dst.px(), "the target keeps no proxy state")
	})
	assert.Empty(t, rig.srcH.stopped, "one callback per stop")
}

func TestProxyToErrors(t *testing.T) {
	r := pxLoop(t)
	a := newPxRig(t, r, false)
	b := newPxRig(t, r, false)
	pxOn(t, r, func() {
		require.NoError(t, a.src.ProxyTo(a.dst))
		assert.ErrorIs(t, b.src.ProxyTo(a.dst), ErrProxyTargetBusy)
		assert.Error(t, b.src.ProxyTo(nil))
		require.NoError(t, a.src.ProxyTo(a.dst), "again to the same target")
		require.NoError(t, a.src.ProxyTo(b.dst, WithProxyStopped(a.srcH.onStop)), "a new target replaces the old")
		assert.Nil(t, a.dst.px())
		require.NoError(t, b.src.ProxyTo(a.dst), "the old target is free")
		b.dst.Close()
		assert.ErrorIs(t, b.src.ProxyTo(b.dst), ErrClosed)
		b.src.Close() // a closed source no longer holds its target
		require.NoError(t, a.src.ProxyTo(a.dst))
	})
	reason := pxRecv(t, a.srcH.stopped, "stop callback")
	assert.True(t, errors.Is(reason, ErrProxyTargetClosed) || errors.Is(reason, ErrProxyStopped), reason)
}

func TestProxyToItselfEchoes(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		rig := newPxRig(t, r, false)
		pxOn(t, r, func() { require.NoError(t, rig.src.ProxyTo(rig.src, WithProxySplice(splice))) })
		data := nettest.Pattern(2<<20, 3)
		sent := pxWrite(rig.client, data)
		assert.True(t, bytes.Equal(data, pxReadN(t, rig.client, len(data))), "intact")
		require.NoError(t, pxRecv(t, sent, "client write"))
	})
}

func TestProxySourceHalfClose(t *testing.T) {
	r := pxLoop(t)
	rig := newPxRig(t, r, true)
	pxOn(t, r, func() { require.NoError(t, rig.src.ProxyTo(rig.dst)) })
	_, err := rig.client.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, rig.client.CloseWrite())
	pxRecv(t, rig.srcH.halfClose, "PeerClosedWrite on the source")
	assert.Equal(t, []byte("last words"), pxReadN(t, rig.peer, 10))
	pxOn(t, r, func() {
		assert.False(t, rig.src.Closed())
		assert.True(t, rig.src.Proxying())
		_, err := rig.src.Write([]byte("reply"))
		assert.NoError(t, err)
	})
	assert.Equal(t, []byte("reply"), pxReadN(t, rig.client, 5))
}

// ProxyTo called from ReceiveData: that chunk was delivered, every later
// byte goes to the target, in order.
func TestProxyToFromReceiveData(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		h := newPxHandler()
		var src, dst *Conn
		front := &switchingHandler{pxHandler: h, onFirst: func(c *Conn) { require.NoError(t, c.ProxyTo(dst, WithProxySplice(splice))) }}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		var l *Listener
		pxOn(t, r, func() {
			l, err = r.Listen("tcp", "127.0.0.1:0", func(c *Conn) Handler { src = c; return front })
			require.NoError(t, err)
			dst, err = r.Connect("tcp", ln.Addr().String(), newPxHandler())
			require.NoError(t, err)
		})
		require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(pxWait)))
		peer, err := ln.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { peer.Close() })
		client, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { client.Close() })

		data := nettest.Pattern(4<<20, 21)
		sent := pxWrite(client, data)
		pxEventually(t, r, "the first chunk arrived", func() bool { return h.GotLen() > 0 })
		first := h.Got()
		rest := pxReadN(t, peer, len(data)-len(first))
		require.NoError(t, pxRecv(t, sent, "client write"))
		assert.True(t, bytes.Equal(data, append(first, rest...)), "first chunk by ReceiveData, the rest proxied, in order")
		pxOn(t, r, func() { assert.Equal(t, int64(len(rest)), src.ProxiedBytes()) })
		assert.Equal(t, len(first), h.GotLen(), "no ReceiveData after ProxyTo")
	})
}

// switchingHandler calls onFirst in its first ReceiveData.
type switchingHandler struct {
	*pxHandler
	onFirst func(c *Conn)
	done    bool
}

func (s *switchingHandler) ReceiveData(c *Conn, p []byte) {
	s.pxHandler.ReceiveData(c, p)
	if !s.done {
		s.done = true
		s.onFirst(c)
	}
}
