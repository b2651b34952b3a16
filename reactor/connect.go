package reactor

import (
	"context"
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
	if cc.connectTimeout > 0 {
		c.connTimer = r.timers.Schedule(cc.connectTimeout, func() {
			if c.flags&fConnecting != 0 {
				c.closeWith(ErrConnectTimeout)
			}
		})
	}
	if cc.inactivity > 0 {
		c.idle = cc.inactivity // armed when the connect completes
	}
	noDelay := cc.noDelay && network != "unix"
	switch ip, err := netip.ParseAddr(host); {
	case network == "unix":
		r.startConnect(c, &unix.SockaddrUnix{Name: addr}, unix.AF_UNIX, false, localBind{})
	case err == nil:
		sa, family := tcpSockaddr(ip, port, network)
		r.startConnect(c, sa, family, noDelay, cc.local)
	default:
		r.resolve(c, network, host, port, noDelay, cc)
	}
	r.callConn(c, h.PostInit)
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

// resolve looks host up on another goroutine and comes back through
// NextTick to start the connect. The Conn waits without an fd meanwhile.
func (r *Reactor) resolve(c *Conn, network, host string, port int, noDelay bool, cc connConfig) {
	c.flags |= fResolving
	r.resolving[c] = struct{}{}
	family := "ip"
	switch network {
	case "tcp4":
		family = "ip4"
	case "tcp6":
		family = "ip6"
	}
	go func() {
		ctx := context.Background()
		if cc.connectTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cc.connectTimeout)
			defer cancel()
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, family, host)
		r.NextTick(func() {
			if c.flags&fClosed != 0 {
				return
			}
			delete(r.resolving, c)
			c.flags &^= fResolving
			if err != nil {
				c.closeWith(fmt.Errorf("reactor: resolving %q: %w", host, err))
				return
			}
			ip := pickIP(ips, network)
			sa, fam := tcpSockaddr(ip, port, network)
			r.startConnect(c, sa, fam, noDelay, cc.local)
		})
	}()
}

// pickIP prefers IPv4 for "tcp" (loopback services listen there most
// often); the lookup already filtered by family for tcp4/tcp6.
func pickIP(ips []netip.Addr, network string) netip.Addr {
	if network == "tcp" {
		for _, ip := range ips {
			if ip.Unmap().Is4() {
				return ip
			}
		}
	}
	return ips[0]
}

// startConnect creates the socket and starts a non-blocking connect. The
// first writable event finishes it (finishConnect); an immediate failure
// closes the Conn with the errno.
func (r *Reactor) startConnect(c *Conn, sa unix.Sockaddr, family int, noDelay bool, local localBind) {
	fd, err := socketFd(family)
	if err != nil {
		c.closeWith(syscallErr("socket", err))
		return
	}
	if noDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err := local.bind(fd, family); err != nil {
		closeFd(fd)
		c.closeWith(syscallErr("bind", err))
		return
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) && !errors.Is(err, unix.EINTR) {
		closeFd(fd)
		c.closeWith(syscallErr("connect", err))
		return
	}
	c.fd = fd
	if err := r.register(c); err != nil {
		c.closeWith(err)
	}
}

// finishConnect runs on the first event of a connecting Conn: success
// calls ConnectionCompleted and flushes what was written meanwhile.
func (r *Reactor) finishConnect(c *Conn) {
	if err := sockError(c.fd, nil); err != nil {
		c.closeWith(syscallErr("connect", err))
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
