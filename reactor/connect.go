package reactor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// Connect starts an outbound connection, as EM.connect, and never blocks:
// h.PostInit runs before Connect returns, h.ConnectionCompleted when the
// connection is established. Every failure after that — refused,
// unreachable, host not found, timed out (WithPendingConnectTimeout,
// default 20 s) — arrives as h.Unbind with its reason, after PostInit and
// without ConnectionCompleted; Connect itself returns an error (and no Conn,
// no callbacks) only for what is known at once: an unsupported network, a
// malformed address, a nil handler, a stopped reactor. Host names are
// resolved on another goroutine; the loop goes on meanwhile. Data written
// before the connect completes is sent when it does. Must be called on the
// reactor goroutine.
func (r *Reactor) Connect(network, addr string, h Handler, opts ...ConnOption) (*Conn, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Connect")
	}
	return r.connect(network, addr, h, true, opts)
}

// connect is Connect; postInit false skips PostInit (Reconnect).
func (r *Reactor) connect(network, addr string, h Handler, postInit bool, opts []ConnOption) (*Conn, error) {
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("reactor: Connect needs a Handler")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	var host string
	var port int
	if network != "unix" {
		var err error
		if host, port, err = splitHostPort(network, addr); err != nil {
			return nil, err
		}
	}
	cc := applyConnOptions(opts)
	if err := cc.local.check(network); err != nil {
		return nil, err
	}
	c := &Conn{r: r, h: h, fd: -1, flags: fConnecting | fOutbound, lastActive: r.nowNs, st: plainStage{}}
	if cc.tls != nil {
		c.installTLS(cc.tls, true, cc.tlsTimeout, host)
	}
	r.nconns++
	c.armConnectTimeout(cc.connectTimeout)
	c.maxOut = cc.maxOutbound
	if cc.inactivity > 0 {
		c.idle = cc.inactivity // armed when the connect completes
	}
	switch ip, err := netip.ParseAddr(host); {
	case network == "unix":
		r.startConnect(c, &unix.SockaddrUnix{Name: addr}, unix.AF_UNIX, &cc)
	case err == nil:
		sa, family := tcpSockaddr(ip, port, network)
		r.startConnect(c, sa, family, &cc)
	default:
		r.resolve(c, network, host, port, &cc)
	}
	if postInit {
		r.callConn(c, h.PostInit)
	}
	return c, nil
}

func splitHostPort(network, addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("reactor: connect %s %q: %w", network, addr, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		if port, err = net.LookupPort(network, ps); err != nil {
			return "", 0, fmt.Errorf("reactor: connect %s %q: bad port: %w", network, addr, err)
		}
	}
	if port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("reactor: connect %s %q: port out of range", network, addr)
	}
	if host == "" { // as net.Dial: the local system
		host = "127.0.0.1"
		if network == "tcp6" {
			host = "::1"
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if (network == "tcp4" && !ip.Unmap().Is4()) || (network == "tcp6" && ip.Is4()) {
			return "", 0, fmt.Errorf("reactor: connect %s %q: address family does not match the network", network, addr)
		}
	}
	return host, port, nil
}

// startConnect creates the socket and starts a non-blocking connect. The
// first writable event finishes it (finishConnect); an immediate failure
// closes the Conn with a *net.OpError naming the address.
func (r *Reactor) startConnect(c *Conn, sa unix.Sockaddr, family int, cc *connConfig) {
	c.raddr = toNetAddr(sa)
	fd, err := dialSocket(sa, family, cc)
	if err != nil {
		c.closeWith(dialError(c.raddr, err))
		return
	}
	c.fd = fd
	if err := r.register(c); err != nil {
		c.closeWith(err)
	}
}

// dialSocket opens a socket with cc's options and starts a non-blocking
// connect to sa.
func dialSocket(sa unix.Sockaddr, family int, cc *connConfig) (int, error) {
	fd, err := socketFd(family, unix.SOCK_STREAM)
	if err != nil {
		return -1, syscallErr("socket", err)
	}
	if err := cc.sock.apply(fd, family, cc.noDelay); err != nil {
		closeFd(fd)
		return -1, err
	}
	if family != unix.AF_UNIX {
		if err := cc.local.bind(fd, family); err != nil {
			closeFd(fd)
			return -1, syscallErr("bind", err)
		}
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) && !errors.Is(err, unix.EINTR) {
		closeFd(fd)
		return -1, syscallErr("connect", err)
	}
	return fd, nil
}

// dialError shapes a failed connect as net.Dial does: a *net.OpError
// with Op "dial" and the address (errors.Is(err, syscall.ECONNREFUSED)
// and the like still hold through it).
func dialError(addr net.Addr, err error) error {
	op := &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: err}
	if _, ok := addr.(*net.UnixAddr); ok {
		op.Net = "unix"
	}
	return op
}

// finishConnect runs on the first event of a connecting Conn: success
// calls ConnectionCompleted and flushes what was written meanwhile.
func (r *Reactor) finishConnect(c *Conn) {
	if err := sockError(c.fd, nil); err != nil {
		c.closeWith(dialError(c.RemoteAddr(), err))
		return
	}
	c.flags &^= fConnecting
	c.connTimer.Cancel()
	c.lastActive = r.nowNs
	if c.idle > 0 {
		c.SetInactivityTimeout(c.idle)
	}
	r.callConn(c, c.h.ConnectionCompleted)
	if c.flags&fClosed != 0 {
		return
	}
	if ts := c.tlsStage(); ts != nil {
		ts.begin() // WithTLS: the handshake starts with the connection
	}
	if c.OutboundSize() > 0 {
		r.flush(c)
	} else if c.flags&fCloseAfterWriting != 0 {
		c.closeFlushed()
	} else {
		if c.flags&fShutWrPending != 0 {
			c.shutdownWrite() // CloseWrite while connecting (closewrite.go)
		}
		c.updateInterest()
	}
}
