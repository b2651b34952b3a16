package reactor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/evmachine/evmachine/timer"
	"golang.org/x/sys/unix"
)

// maxDatagram is the largest datagram delivered: every UDP datagram fits
// (65,507 bytes of payload on IPv4, 65,527 on IPv6). A larger one (only a
// unixgram socket can get one) is dropped and counted as Truncated: half a
// datagram means nothing to a datagram protocol.
const maxDatagram = 64 << 10

// packetBudget is how many datagrams one readiness of a PacketConn reads,
// so that a flood on one socket cannot starve the other fds.
const packetBudget = 64

// DefaultPacketQueue is the bound, in bytes, of the datagrams a PacketConn
// holds while its socket pushes back (WithPacketQueue).
const DefaultPacketQueue = 1 << 20

// packetCost is what a queued datagram costs the queue bound beyond its
// bytes, so that zero-length datagrams are bounded too.
const packetCost = 64

// PacketHandler receives a PacketConn's datagrams, as EventMachine's
// receive_data on a datagram socket. ReceivePacket runs on the reactor
// goroutine once per datagram, zero-length ones included; data is only
// valid during the call, and from is the sender (the zero AddrPort on a
// unixgram socket: see PacketConn.SenderPath). A panic in it is logged and
// the datagram dropped; the PacketConn goes on serving (one malformed
// datagram from anyone on the network must not take the socket down, as
// one Conn's panic does not close its Listener).
type PacketHandler interface {
	ReceivePacket(pc *PacketConn, data []byte, from netip.AddrPort)
}

// PacketCloser is an optional PacketHandler extension, EventMachine's
// unbind for a datagram socket: PacketClosed runs once, on the reactor
// goroutine, after the PacketConn closed: with a nil reason after Close
// or Shutdown (from a tick after Close returns), ErrStopped after Stop.
type PacketCloser interface {
	PacketClosed(pc *PacketConn, reason error)
}

// PacketFunc adapts a function to a PacketHandler.
type PacketFunc func(pc *PacketConn, data []byte, from netip.AddrPort)

// ReceivePacket calls f.
func (f PacketFunc) ReceivePacket(pc *PacketConn, data []byte, from netip.AddrPort) {
	f(pc, data, from)
}

// PacketStats are a PacketConn's counters (PacketConn.Stats).
type PacketStats struct {
	Received  uint64 // datagrams delivered to ReceivePacket
	Sent      uint64 // datagrams the kernel took
	Dropped   uint64 // datagrams WriteTo refused because the queue was full, or queued ones a Close discarded
	Truncated uint64 // datagrams over 64 KiB received and dropped (unixgram only)
	Queued    int    // datagrams waiting for the socket to take them
}

// PacketConn is a datagram socket on the reactor (EventMachine's
// open_datagram_socket): udp, udp4, udp6 or unixgram. Its methods must be
// called on the reactor goroutine.
type PacketConn struct {
	r       *Reactor
	h       PacketHandler
	fd      int
	family  int // AF_INET, AF_INET6 or AF_UNIX
	laddr   net.Addr
	sock    unixSocketFile // the unixgram socket file to remove on Close
	closed  bool
	wantW   bool // write interest registered: the queue waits for the socket
	sender  packetSender
	out     packetQueue
	maxOut  int          // queue bound in bytes (WithPacketQueue)
	retry   timer.Handle // unixgram: the queue's next try (waitWritable)
	retryFn func()
	stats   PacketStats
	zones   map[uint32]string // IPv6 scope ids seen, by interface name
	closing error             // the reason PacketClosed will get
}

func (*PacketConn) ownsFd() {} // an fd table kind (fdtable.go)

// ListenPacket opens a datagram socket bound to addr (udp, udp4, udp6:
// "127.0.0.1:0", "[::1]:0", ":8125"; unixgram: a path, whose stale socket
// file is replaced as Listen does) and calls h.ReceivePacket for every
// datagram it receives. Of the ConnOptions it takes WithReusePort
// (SO_REUSEPORT: several sockets, one per reactor of a Group, share the
// port), WithBroadcast, WithPacketQueue, WithSocketBuffers, WithTOS and
// WithControl. "udp" with no host is dual-stack; a host name in addr is
// resolved before ListenPacket returns. Must be called on the reactor
// goroutine.
func (r *Reactor) ListenPacket(network, addr string, h PacketHandler, opts ...ConnOption) (*PacketConn, error) {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.ListenPacket")
	}
	if h == nil {
		return nil, errors.New("reactor: ListenPacket needs a PacketHandler")
	}
	if r.stopReq.Load() && r.ran {
		return nil, ErrNotRunning
	}
	cc := applyConnOptions(opts)
	fd, family, err := packetSocket(network, addr, &cc)
	if err != nil {
		return nil, fmt.Errorf("reactor: listen %s %s: %w", network, addr, err)
	}
	pc := &PacketConn{r: r, h: h, fd: fd, family: family, maxOut: cc.packetQueue}
	pc.retryFn = pc.retryQueue
	if family == unix.AF_UNIX {
		pc.sock = statSocket(addr)
	}
	if err := r.poller.Add(fd, true, false); err != nil {
		closeFd(fd)
		pc.sock.remove()
		return nil, fmt.Errorf("reactor: listen %s %s: %w", network, addr, err)
	}
	if sa, err := unix.Getsockname(fd); err == nil {
		pc.laddr = packetNetAddr(sa, network)
	}
	if r.pkts == nil {
		r.pkts = newPacketBatch()
	}
	r.fds.set(fd, pc)
	return pc, nil
}

// LocalAddr returns the address the socket is bound to (a *net.UDPAddr with
// the real port when ":0" was asked for, or a *net.UnixAddr).
func (pc *PacketConn) LocalAddr() net.Addr { return pc.laddr }

// Fd returns the socket's file descriptor, or -1 once closed.
func (pc *PacketConn) Fd() int { return pc.fd }

// Reactor returns the reactor the PacketConn belongs to.
func (pc *PacketConn) Reactor() *Reactor { return pc.r }

// Closed reports whether the PacketConn was closed.
func (pc *PacketConn) Closed() bool { return pc.closed }

// Stats returns the PacketConn's counters. Must be called on the reactor
// goroutine.
func (pc *PacketConn) Stats() PacketStats {
	s := pc.stats
	s.Queued = pc.out.len()
	return s
}

// Close closes the socket now, as close_connection on a datagram socket:
// datagrams still queued are dropped (and counted as Dropped), a unixgram
// socket file is removed, and a PacketCloser hears of it from a tick. It
// may be called from ReceivePacket: no datagram is delivered after it.
// Closing twice returns ErrClosed.
func (pc *PacketConn) Close() error {
	if pc.r.cfg.loopCheck {
		pc.r.checkLoop("PacketConn.Close")
	}
	if pc.closed {
		return ErrClosed
	}
	pc.closeNow(nil)
	if _, ok := pc.h.(PacketCloser); ok {
		pc.r.NextTick(pc.notifyClosed)
	}
	return nil
}

// closeNow closes the socket; PacketClosed is the caller's to arrange.
func (pc *PacketConn) closeNow(reason error) {
	if pc.closed {
		return
	}
	pc.closed = true
	pc.closing = reason
	pc.stats.Dropped += uint64(pc.out.len())
	pc.out = packetQueue{}
	pc.retry.Cancel()
	pc.r.fds.clear(pc.fd, pc)
	closeFd(pc.fd)
	pc.fd = -1
	pc.sock.remove()
}

// notifyClosed calls PacketClosed; a panic there is logged.
func (pc *PacketConn) notifyClosed() {
	if pcl, ok := pc.h.(PacketCloser); ok {
		pc.r.safeCall(func() { pcl.PacketClosed(pc, pc.closing) })
	}
}

// stop closes the PacketConn when the reactor stops (teardown) or drains
// (Shutdown: one last non-blocking try to send what is queued first).
func (pc *PacketConn) stop(reason error) {
	if pc.closed {
		return
	}
	if reason == nil {
		pc.flushQueue()
	}
	pc.closeNow(reason)
	pc.notifyClosed()
}

// WithBroadcast sets SO_BROADCAST on a ListenPacket socket, so that WriteTo
// may send to a broadcast address (without it the kernel refuses with
// EACCES). Listen and Connect ignore it.
func WithBroadcast() ConnOption { return func(c *connConfig) { c.broadcast = true } }

// WithPacketQueue bounds the datagrams a PacketConn holds while its socket
// pushes back (default DefaultPacketQueue, 1 MiB): each counts its length
// plus 64 bytes. A WriteTo that would pass the bound drops its datagram,
// counts it in PacketStats.Dropped and returns ErrPacketDropped. Values
// below 1 keep the default. Listen and Connect ignore it.
func WithPacketQueue(bytes int) ConnOption {
	return func(c *connConfig) {
		if bytes > 0 {
			c.packetQueue = bytes
		}
	}
}
