package reactor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limiter is a probe that decides about its outbound limit itself.
type limiter struct {
	*probe
	calls  int
	queued int
}

func (l *limiter) OutboundLimitExceeded(c *Conn, queued int) { l.calls++; l.queued = queued }

// TestMaxOutbound: a peer that never reads makes the Conn's outbound
// buffer pass WithMaxOutbound; the Conn closes with ErrOutboundLimit, the
// Write that crossed the limit having returned normally. An
// OutboundLimiter handler decides instead and its Conn stays open.
func TestMaxOutbound(t *testing.T) {
	const limit = 256 << 10
	chunk := make([]byte, 64<<10)
	h := newHarness(t)

	l, accepted := h.serve(func(*probe) {}, WithMaxOutbound(limit), WithSocketBuffers(16<<10, 16<<10))
	c := dial(t, "tcp", l.Addr().String()) // never reads
	defer c.Close()
	srv := h.accepted(accepted)
	h.do(func() {
		for i := 0; !srv.Conn().Closed(); i++ {
			require.Less(t, i, 1000, "the limit must close the Conn long before 64 MiB")
			n, err := srv.Conn().Write(chunk)
			require.NoError(t, err, "the crossing Write itself succeeds")
			require.Equal(t, len(chunk), n)
		}
	})
	assert.ErrorIs(t, srv.waitUnbind(t), ErrOutboundLimit)

	// The handler decides.
	lim := &limiter{probe: h.newProbe()}
	posted := make(chan struct{})
	lim.OnPostInit = func(*Conn) { close(posted) }
	l2 := h.listen("tcp", "127.0.0.1:0", func(*Conn) Handler { return lim }, WithMaxOutbound(limit))
	c2 := dial(t, "tcp", l2.Addr().String())
	defer c2.Close()
	waitClosed(t, posted, "PostInit")
	h.do(func() {
		for lim.calls == 0 {
			srv2 := lim.Conn()
			_, err := srv2.Write(chunk)
			require.NoError(t, err)
		}
		assert.Greater(t, lim.queued, limit)
		assert.False(t, lim.Conn().Closed(), "the OutboundLimiter decided to keep it")
		lim.Conn().Close()
	})
	lim.waitUnbind(t)
}
