package reactor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// acceptBudget is how many connections one readiness of a listener accepts,
// so that a connect storm cannot starve established connections.
const acceptBudget = 64

// DefaultBacklog is the accept queue Listen asks of the kernel (capped
// by net.core.somaxconn) unless WithBacklog says otherwise;
// EventMachine's fixed 100 overflows under C10K.
const DefaultBacklog = 4096

// Listener accepts connections for a reactor, as EM.start_server. Its
// methods must be called on the reactor goroutine.
type Listener struct {
	r          *Reactor
	fd         int
	addr       net.Addr
	sock       unixSocketFile // the unix socket file to remove on Close (unixsock.go)
	newHandler func(*Conn) Handler
	cc         connConfig
	closed     bool
	backoff    time.Duration // the current accept-error burst's retry delay; 0 when none
	suspended  bool          // not polled until the retry timer fires
	spread     *Group        // a Group's only listener: accepted fds are dealt out (group.go)
}

// Listen starts accepting connections on network ("tcp", "tcp4", "tcp6" or
// "unix") and addr ("127.0.0.1:0" picks a free port; for unix, a path). For
// each accepted Conn, newHandler(c) gives its Handler, whose PostInit then
// runs. opts apply to every accepted Conn, except the listener's own
// (WithBacklog, WithReusePort), which apply to the listening socket.
// SO_REUSEADDR is set. A unix socket file at addr is replaced only if it
// is stale (no server accepts on it); a live one fails with EADDRINUSE, and
// Close removes the file only if it is still the one this Listener made. A host name in addr is resolved before
// Listen returns. Must be called on the reactor goroutine.
func (r *Reactor) Listen(network, addr string, newHandler func(c *Conn) Handler, opts ...ConnOption) (*Listener, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.Listen")
	}
	if err := checkNetwork(network); err != nil {
		return nil, err
	}
	if newHandler == nil {
		return nil, errors.New("reactor: Listen needs a newHandler function")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	cc := applyConnOptions(opts)
	fd, path, err := listenSocket(network, addr, &cc)
	if err != nil {
		return nil, fmt.Errorf("reactor: listen %s %s: %w", network, addr, err)
	}
	l := &Listener{r: r, fd: fd, newHandler: newHandler, cc: cc}
	if path != "" {
		l.sock = statSocket(path)
	}
	if err := r.poller.Add(fd, true, false); err != nil {
		closeFd(fd)
		return nil, fmt.Errorf("reactor: listen %s %s: %w", network, addr, err)
	}
	l.addr = sockname(fd, false)
	r.fds.set(fd, l)
	return l, nil
}

func listenSocket(network, addr string, cc *connConfig) (int, string, error) {
	var sa unix.Sockaddr
	family := unix.AF_UNIX
	path := ""
	if network == "unix" {
		if err := clearStaleSocket(addr); err != nil {
			return -1, "", err
		}
		sa, path = &unix.SockaddrUnix{Name: addr}, addr
	} else {
		ta, err := net.ResolveTCPAddr(network, addr)
		if err != nil {
			return -1, "", err
		}
		ip, _ := netip.AddrFromSlice(ta.IP)
		if !ip.IsValid() { // no host: every address, dual-stack unless tcp4
			if network == "tcp4" {
				ip = netip.IPv4Unspecified()
			} else {
				ip = netip.IPv6Unspecified()
			}
		}
		sa, family = tcpSockaddr(ip.WithZone(ta.Zone), ta.Port, network)
	}
	fd, err := socketFd(family, unix.SOCK_STREAM)
	if err != nil {
		return -1, "", syscallErr("socket", err)
	}
	if family != unix.AF_UNIX && inheritsSockOpts {
		if err := cc.sock.setInherited(fd, family); err != nil {
			closeFd(fd)
			return -1, "", err
		}
	}
	if err := bindListen(fd, family, network, sa, cc.listen); err != nil {
		closeFd(fd)
		return -1, "", err
	}
	return fd, path, nil
}

func bindListen(fd, family int, network string, sa unix.Sockaddr, lc listenConfig) error {
	if family != unix.AF_UNIX {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return syscallErr("setsockopt", err)
		}
		if lc.reusePort {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				return syscallErr("setsockopt SO_REUSEPORT", err)
			}
		}
	}
	if family == unix.AF_INET6 {
		v6only := 0
		if network == "tcp6" {
			v6only = 1
		}
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return syscallErr("bind", err)
	}
	if err := unix.Listen(fd, lc.backlog); err != nil {
		return syscallErr("listen", err)
	}
	return nil
}

// Addr returns the address the Listener is bound to, with the real port
// when ":0" was asked for.
func (l *Listener) Addr() net.Addr { return l.addr }

// Reactor returns the reactor the Listener accepts for. Safe for
// concurrent use.
func (l *Listener) Reactor() *Reactor { return l.r }

// Close stops accepting, as EM.stop_server; open Conns are not touched.
// A unix socket file is removed. Closing twice returns ErrClosed.
func (l *Listener) Close() error {
	if l.closed {
		return ErrClosed
	}
	l.closeNow()
	return nil
}

func (l *Listener) closeNow() {
	if l.closed {
		return
	}
	l.closed = true
	l.r.fds.clear(l.fd, l)
	closeFd(l.fd)
	l.sock.remove()
}

// accept takes up to acceptBudget pending connections.
func (l *Listener) accept() {
	for range acceptBudget {
		if l.closed || l.suspended {
			return
		}
		fd, err := acceptFd(l.fd)
		switch {
		case err == nil:
			if l.spread == nil || !l.spread.handOff(l.r, fd, l.newHandler, &l.cc) {
				l.r.newConn(fd, l.newHandler, &l.cc)
			}
			continue
		case err == errAgain:
			return
		case err == errIntr, errors.Is(err, unix.ECONNABORTED):
			continue
		case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE), errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
			l.suspend(err)
			return
		default:
			l.r.log.Error("reactor: accept failed", "addr", l.addr, "err", syscallErr("accept", err))
			l.suspend(err)
			return
		}
	}
}

// suspend stops polling the listener after an accept error that would
// otherwise spin the level-triggered loop (EMFILE: the connection stays in
// the backlog and the fd stays readable), and retries after a back-off that
// starts at 10 ms and doubles up to one second while the error lasts. It
// logs once per burst, and once more when accepting works again.
func (l *Listener) suspend(err error) {
	if l.backoff == 0 {
		l.r.log.Warn("reactor: accept failing; pausing this listener", "addr", l.addr, "err", syscallErr("accept", err))
		l.backoff = 10 * time.Millisecond
	} else {
		l.backoff = min(2*l.backoff, time.Second)
	}
	l.suspended = true
	if perr := l.r.poller.Mod(l.fd, false, false); perr != nil {
		l.r.log.Error("reactor: pausing listener", "err", perr)
	}
	l.r.AddTimer(l.backoff, l.retry)
}

// retry polls the listener again after a suspend and accepts at once.
func (l *Listener) retry() {
	if l.closed {
		return
	}
	l.suspended = false
	if perr := l.r.poller.Mod(l.fd, true, false); perr != nil {
		l.r.log.Error("reactor: resuming listener", "err", perr)
		return
	}
	l.accept()
	if !l.suspended { // the burst is over
		l.backoff = 0
		l.r.log.Info("reactor: accepting again", "addr", l.addr)
	}
}

// newConn wraps an accepted fd in a Conn and calls PostInit.
func (r *Reactor) newConn(fd int, newHandler func(*Conn) Handler, cc *connConfig) {
	c := &Conn{r: r, fd: fd, lastActive: r.nowNs, st: plainStage{}, maxOut: cc.maxOutbound}
	if cc.noDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // fails harmlessly on unix sockets
	}
	if err := cc.sock.accepted(fd); err != nil {
		r.log.Error("reactor: socket options of an accepted connection", "err", err)
		closeFd(fd)
		return
	}
	if err := r.register(c); err != nil {
		r.log.Error("reactor: registering accepted connection", "err", err)
		closeFd(fd)
		return
	}
	r.nconns++
	h := r.makeHandler(c, newHandler)
	if h == nil {
		return
	}
	c.h = h
	if cc.inactivity > 0 {
		c.SetInactivityTimeout(cc.inactivity)
	}
	if cc.tls != nil {
		c.installTLS(cc.tls, false, cc.tlsTimeout, "")
	}
	r.callConn(c, c.h.PostInit)
}

// makeHandler calls the listener's newHandler; a panic or a nil Handler
// closes the Conn (with BaseHandler standing in so Unbind has a target).
func (r *Reactor) makeHandler(c *Conn, newHandler func(*Conn) Handler) (h Handler) {
	defer func() {
		if v := recover(); v != nil {
			c.h = BaseHandler{}
			r.connPanic(c, v)
			h = nil
		}
	}()
	h = newHandler(c)
	if h == nil {
		c.h = BaseHandler{}
		c.closeWith(errors.New("reactor: newHandler returned nil"))
	}
	return h
}
