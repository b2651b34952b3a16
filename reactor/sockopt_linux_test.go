package reactor

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// sockOpts reads back the options the tests set.
type sockOpts struct {
	keepAlive, idle, intvl, cnt, sndBuf, rcvBuf, tos int
	linger                                           unix.Linger
}

func readSockOpts(t *testing.T, c *Conn) sockOpts {
	t.Helper()
	var o sockOpts
	var err error
	get := func(level, name int) int {
		v, gerr := c.GetSockOpt(level, name)
		err = errors.Join(err, gerr)
		return v
	}
	o.keepAlive = get(unix.SOL_SOCKET, unix.SO_KEEPALIVE)
	o.idle = get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
	o.intvl = get(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
	o.cnt = get(unix.IPPROTO_TCP, unix.TCP_KEEPCNT)
	o.sndBuf = get(unix.SOL_SOCKET, unix.SO_SNDBUF)
	o.rcvBuf = get(unix.SOL_SOCKET, unix.SO_RCVBUF)
	o.tos = get(unix.IPPROTO_IP, unix.IP_TOS)
	l, lerr := unix.GetsockoptLinger(c.Fd(), unix.SOL_SOCKET, unix.SO_LINGER)
	require.NoError(t, errors.Join(err, lerr))
	o.linger = *l
	return o
}

// TestSocketOptions: keepalive is on by default with net's timings; each
// option set on Listen reaches the accepted socket and each set on Connect
// the outbound one, read back with getsockopt; WithControl sees every
// Conn's fd and its error closes the Conn.
func TestSocketOptions(t *testing.T) {
	h := newHarness(t)

	// Defaults, both sides.
	l, accepted := h.serve(echoSetup)
	p := h.newProbe()
	done := completed(p)
	h.connect("tcp", l.Addr().String(), p)
	waitClosed(t, done, "connect")
	srv := h.accepted(accepted)
	h.do(func() {
		for _, c := range []*Conn{p.Conn(), srv.Conn()} {
			o := readSockOpts(t, c)
			assert.Equal(t, 1, o.keepAlive, "keepalive on by default")
			assert.Equal(t, 15, o.idle)
			assert.Equal(t, 15, o.intvl)
			assert.Equal(t, 9, o.cnt)
			assert.Zero(t, o.linger.Onoff)
			c.Close()
		}
	})
	p.waitUnbind(t)
	srv.waitUnbind(t)

	// Every option set, on both sides.
	var controlled []int
	opts := []ConnOption{
		WithKeepAlive(net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 5 * time.Second, Count: 3}),
		WithSocketBuffers(64<<10, 96<<10),
		WithLinger(0),
		WithTOS(0x10),
		WithControl(func(fd int) error { controlled = append(controlled, fd); return nil }),
	}
	l2, accepted2 := h.serve(echoSetup, opts...)
	q := h.newProbe()
	done = completed(q)
	h.connect("tcp", l2.Addr().String(), q, opts...)
	waitClosed(t, done, "connect")
	srv2 := h.accepted(accepted2)
	h.do(func() {
		for _, c := range []*Conn{q.Conn(), srv2.Conn()} {
			o := readSockOpts(t, c)
			assert.Equal(t, 1, o.keepAlive)
			assert.Equal(t, 30, o.idle)
			assert.Equal(t, 5, o.intvl)
			assert.Equal(t, 3, o.cnt)
			assert.Equal(t, 2*(64<<10), o.sndBuf, "Linux doubles SO_SNDBUF")
			assert.Equal(t, 2*(96<<10), o.rcvBuf, "Linux doubles SO_RCVBUF")
			assert.Equal(t, unix.Linger{Onoff: 1, Linger: 0}, o.linger)
			assert.Equal(t, 0x10, o.tos)
			assert.Contains(t, controlled, c.Fd(), "WithControl saw the fd")
		}
		require.NoError(t, srv2.Conn().SetSockOpt(unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0))
		v, err := srv2.Conn().GetSockOpt(unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		assert.NoError(t, err)
		assert.Zero(t, v, "SetSockOpt, as EM's set_sock_opt")
		q.Conn().Close()
	})
	q.waitUnbind(t)
	srv2.waitUnbind(t)

	// Keepalive off.
	r := h.newProbe()
	done = completed(r)
	h.connect("tcp", l.Addr().String(), r, WithKeepAlive(net.KeepAliveConfig{Enable: false}))
	waitClosed(t, done, "connect")
	h.accepted(accepted).Conn()
	h.do(func() {
		assert.Zero(t, readSockOpts(t, r.Conn()).keepAlive)
		r.Conn().Close()
	})
	r.waitUnbind(t)

	// A failing Control closes an outbound Conn with its error.
	boom := errors.New("control says no")
	f := h.newProbe()
	h.connect("tcp", l.Addr().String(), f, WithControl(func(int) error { return boom }))
	assert.ErrorIs(t, f.waitUnbind(t), boom)
}
