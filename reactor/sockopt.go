package reactor

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// sockOptions are the socket options of each Conn's socket (the ConnOptions
// below), set on the socket before an outbound connect, and for a Listen
// on the listening socket, whose accepted sockets inherit them on Linux
// (elsewhere they are set on each accepted socket).
type sockOptions struct {
	keepAlive net.KeepAliveConfig
	sndBuf    int // SO_SNDBUF; 0 leaves the kernel's
	rcvBuf    int // SO_RCVBUF; 0 leaves the kernel's
	linger    int // SO_LINGER seconds; -1 leaves it unset
	tos       int // IP_TOS / IPV6_TCLASS; -1 leaves it unset
	control   func(fd int) error
}

// The keepalive net.Dialer and net.ListenConfig use when none is given.
const (
	defaultKeepAliveIdle     = 15 * time.Second
	defaultKeepAliveInterval = 15 * time.Second
	defaultKeepAliveCount    = 9
)

func defaultSockOptions() sockOptions {
	return sockOptions{
		keepAlive: net.KeepAliveConfig{Enable: true, Idle: defaultKeepAliveIdle,
			Interval: defaultKeepAliveInterval, Count: defaultKeepAliveCount},
		linger: -1,
		tos:    -1,
	}
}

// WithKeepAlive sets TCP keepalive on each Conn, as net.Dialer's
// KeepAliveConfig does (default: on, 15 s idle, 15 s between probes, 9
// probes, net's defaults). Enable false turns it off; a zero Idle,
// Interval or Count keeps that default.
func WithKeepAlive(cfg net.KeepAliveConfig) ConnOption {
	return func(c *connConfig) {
		ka := &c.sock.keepAlive
		ka.Enable = cfg.Enable
		if cfg.Idle > 0 {
			ka.Idle = cfg.Idle
		}
		if cfg.Interval > 0 {
			ka.Interval = cfg.Interval
		}
		if cfg.Count > 0 {
			ka.Count = cfg.Count
		}
	}
}

// WithSocketBuffers sets SO_SNDBUF and SO_RCVBUF of each Conn's socket
// (net.TCPConn's SetWriteBuffer and SetReadBuffer); 0 keeps the kernel's
// size. (The loop's own read buffer is WithReadBufferSize.)
func WithSocketBuffers(send, recv int) ConnOption {
	return func(c *connConfig) { c.sock.sndBuf, c.sock.rcvBuf = max(send, 0), max(recv, 0) }
}

// WithLinger sets SO_LINGER as net.TCPConn.SetLinger does: sec < 0 leaves
// the default (close returns at once, the kernel sends what is queued),
// 0 makes close discard unsent data and reset the connection, sec > 0
// makes close linger up to sec seconds. The reactor never blocks in close
// for it: a lingering close happens in the kernel.
func WithLinger(sec int) ConnOption { return func(c *connConfig) { c.sock.linger = max(sec, -1) } }

// WithTOS sets the IP type of service byte (IP_TOS; IPV6_TCLASS on IPv6)
// of each Conn's socket, e.g. a DSCP class.
func WithTOS(tos int) ConnOption { return func(c *connConfig) { c.sock.tos = tos & 0xff } }

// WithControl calls fn with the raw fd of each Conn's socket, for any
// option the others do not cover (net.Dialer's Control; EventMachine's
// set_sock_opt): an outbound socket before it connects, an accepted one
// before PostInit. An error closes the Conn (Connect: Unbind with the
// error; Listen: the accepted socket is closed and the error logged).
// fn runs on the reactor goroutine and must not block.
func WithControl(fn func(fd int) error) ConnOption {
	return func(c *connConfig) { c.sock.control = fn }
}

// apply sets the options on a new socket (outbound, or a listening one
// whose accepted sockets inherit them). noDelay is WithNoDelay.
func (o *sockOptions) apply(fd, family int, noDelay bool) error {
	if family == unix.AF_UNIX {
		return o.runControl(fd)
	}
	if noDelay {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err := o.setInherited(fd, family); err != nil {
		return err
	}
	return o.runControl(fd)
}

// setInherited sets what an accepted socket inherits from its listener.
func (o *sockOptions) setInherited(fd, family int) error {
	if err := setKeepAlive(fd, o.keepAlive); err != nil {
		return err
	}
	if o.sndBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, o.sndBuf); err != nil {
			return syscallErr("setsockopt SO_SNDBUF", err)
		}
	}
	if o.rcvBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, o.rcvBuf); err != nil {
			return syscallErr("setsockopt SO_RCVBUF", err)
		}
	}
	if o.linger >= 0 {
		l := &unix.Linger{Onoff: 1, Linger: int32(o.linger)}
		if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l); err != nil {
			return syscallErr("setsockopt SO_LINGER", err)
		}
	}
	if o.tos >= 0 {
		level, name := unix.IPPROTO_IP, unix.IP_TOS
		if family == unix.AF_INET6 {
			level, name = unix.IPPROTO_IPV6, unix.IPV6_TCLASS
		}
		if err := unix.SetsockoptInt(fd, level, name, o.tos); err != nil {
			return syscallErr("setsockopt IP_TOS", err)
		}
	}
	return nil
}

// accepted sets the options on an accepted socket: those it did not
// inherit from its listener, and the Control hook.
func (o *sockOptions) accepted(fd int) error {
	if !inheritsSockOpts {
		if sa, err := unix.Getsockname(fd); err == nil {
			switch sa.(type) {
			case *unix.SockaddrInet4:
				err = o.setInherited(fd, unix.AF_INET)
			case *unix.SockaddrInet6:
				err = o.setInherited(fd, unix.AF_INET6)
			}
			if err != nil {
				return err
			}
		}
	}
	return o.runControl(fd)
}

func (o *sockOptions) runControl(fd int) error {
	if o.control == nil {
		return nil
	}
	return o.control(fd)
}

// setKeepAlive turns keepalive on with its timings, or off.
func setKeepAlive(fd int, ka net.KeepAliveConfig) error {
	if !ka.Enable {
		return nil // off is the kernel's default for a new socket
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); err != nil {
		return syscallErr("setsockopt SO_KEEPALIVE", err)
	}
	return setKeepAliveTimes(fd, ka)
}

// SetSockOpt sets an integer socket option of the Conn's socket, as
// EventMachine's set_sock_opt (level and name as in golang.org/x/sys/unix,
// e.g. unix.SOL_SOCKET, unix.SO_KEEPALIVE). Must be called on the reactor
// goroutine.
func (c *Conn) SetSockOpt(level, name, value int) error {
	if c.fd < 0 {
		return ErrClosed
	}
	return syscallErr("setsockopt", unix.SetsockoptInt(c.fd, level, name, value))
}

// GetSockOpt reads an integer socket option, as EventMachine's
// get_sock_opt. Must be called on the reactor goroutine.
func (c *Conn) GetSockOpt(level, name int) (int, error) {
	if c.fd < 0 {
		return 0, ErrClosed
	}
	v, err := unix.GetsockoptInt(c.fd, level, name)
	return v, syscallErr("getsockopt", err)
}
