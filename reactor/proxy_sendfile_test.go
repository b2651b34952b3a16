package reactor

import (
	"bytes"
	"testing"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A proxy's target with a SendFile pending: the bytes proxied to it go
// out after the file, spliced or copied, never ahead of it. The target's
// peer does not read until the proxy has taken the client's bytes, and
// the file is larger than loopback's socket buffers, so the file is still
// pending when they reach the target.
func TestProxyTargetWaitsForItsSendFile(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r := pxLoop(t)
		rig := newPxRig(t, r, false)
		file := nettest.Pattern(64<<20, 31)
		f := fileWith(t, file)
		done, doneCh := doneChan(t)
		var proxyErr error
		pxOn(t, r, func() {
			rig.dst.SendFile(f, 0, int64(len(file)), done)
			proxyErr = rig.src.ProxyTo(rig.dst, WithProxySplice(splice))
		})
		require.NoError(t, proxyErr)

		proxied := nettest.Pattern(1<<20, 32)
		sent := pxWrite(rig.client, proxied)
		require.NoError(t, pxRecv(t, sent, "client write"))
		pxEventually(t, r, "the proxy took the client's bytes", func() bool {
			ps := rig.src.px()
			return ps != nil && (ps.moved > 0 || rig.src.flags&fProxyWait != 0)
		})
		select {
		case <-doneCh:
			require.FailNow(t, "the file went out before the peer read: the test proves nothing")
		default:
		}

		got := pxReadN(t, rig.peer, len(file)+len(proxied))
		res := waitFileDone(t, doneCh)
		require.NoError(t, res.err)
		assert.Equal(t, int64(len(file)), res.sent)
		assert.True(t, bytes.Equal(file, got[:len(file)]), "the file first, whole")
		assert.True(t, bytes.Equal(proxied, got[len(file):]), "then the proxied bytes, in order")
	})
}

// The same with the SendFile started while the proxy already runs, and
// splices: the splice waits for the file too.
func TestProxyTargetSendFileMidStream(t *testing.T) {
	pxModes(t, func(t *testing.T, splice bool) {
		r, rig := pxProxying(t, splice)
		first := nettest.Pattern(4<<20, 33)
		sent := pxWrite(rig.client, first)
		assert.True(t, bytes.Equal(first, pxReadN(t, rig.peer, len(first))), "proxied before the file")
		require.NoError(t, pxRecv(t, sent, "client write"))

		file := nettest.Pattern(64<<20, 34)
		f := fileWith(t, file)
		done, doneCh := doneChan(t)
		pxOn(t, r, func() { rig.dst.SendFile(f, 0, int64(len(file)), done) })
		second := nettest.Pattern(4<<20, 35)
		sent = pxWrite(rig.client, second)
		pxEventually(t, r, "the proxy took the client's bytes", func() bool {
			return rig.src.px().moved > int64(len(first)) || rig.src.flags&fProxyWait != 0
		})

		got := pxReadN(t, rig.peer, len(file)+len(second))
		require.NoError(t, pxRecv(t, sent, "client write"))
		res := waitFileDone(t, doneCh)
		require.NoError(t, res.err)
		assert.True(t, bytes.Equal(file, got[:len(file)]), "the file first, whole")
		assert.True(t, bytes.Equal(second, got[len(file):]), "then the proxied bytes, in order")
	})
}
