package reactor

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CloseWrite flushes what is queued, then the peer reads EOF; the Conn
// keeps reading.
func TestCloseWriteFlushesThenShutsDown(t *testing.T) {
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	data := nettest.Pattern(8<<20, 20)
	pxOn(t, r, func() {
		_, err := rig.dst.Write(data)
		require.NoError(t, err)
		require.Positive(t, rig.dst.OutboundSize(), "the peer is not reading yet: bytes are queued")
		require.NoError(t, rig.dst.CloseWrite())
		require.NoError(t, rig.dst.CloseWrite(), "twice is fine")
		assert.True(t, rig.dst.WriteClosed())
		_, err = rig.dst.Write([]byte("late"))
		assert.ErrorIs(t, err, ErrClosed)
	})
	require.NoError(t, rig.peer.SetReadDeadline(time.Now().Add(pxWait)))
	got, err := io.ReadAll(rig.peer)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "everything queued, then EOF")
	_, err = rig.peer.Write([]byte("still reading"))
	require.NoError(t, err)
	pxEventually(t, r, "the Conn still reads", func() bool { return string(rig.dstH.Got()) == "still reading" })
	require.NoError(t, rig.peer.Close())
	assert.ErrorIs(t, pxRecv(t, rig.dstH.unbound, "unbind"), io.EOF)
}

// CloseWrite on a Conn still connecting shuts down once the connect
// completes and the bytes written meanwhile are sent.
func TestCloseWriteWhileConnecting(t *testing.T) {
	for _, payload := range []string{"hi", ""} {
		r := pxLoop(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		h := newPxHandler()
		pxOn(t, r, func() {
			c, err := r.Connect("tcp", ln.Addr().String(), h)
			require.NoError(t, err)
			if payload != "" {
				c.WriteString(payload)
			}
			require.NoError(t, c.CloseWrite())
		})
		require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(pxWait)))
		p, err := ln.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { p.Close() })
		require.NoError(t, p.SetReadDeadline(time.Now().Add(pxWait)))
		got, err := io.ReadAll(p)
		require.NoError(t, err)
		assert.Equal(t, payload, string(got))
	}
}

// A paused Conn whose both directions are shut (our CloseWrite, the peer's
// FIN) keeps the bytes the peer sent: epoll reports the hang-up, the Conn
// leaves the poller instead of closing, and Resume delivers them.
func TestPausedConnKeepsDataAfterHangUp(t *testing.T) {
	r := pxLoop(t)
	rig := newPxRig(t, r, false)
	pxOn(t, r, func() {
		rig.src.Pause()
		require.NoError(t, rig.src.CloseWrite())
	})
	_, err := rig.client.Write([]byte("sent before FIN"))
	require.NoError(t, err)
	require.NoError(t, rig.client.CloseWrite())
	pxEventually(t, r, "the hang-up parks the Conn", func() bool { return rig.src.flags&fParked != 0 })
	pxOn(t, r, func() {
		assert.False(t, rig.src.Closed())
		rig.src.Resume()
	})
	assert.ErrorIs(t, pxRecv(t, rig.srcH.unbound, "unbind"), io.EOF)
	assert.Equal(t, "sent before FIN", string(rig.srcH.Got()))
}
