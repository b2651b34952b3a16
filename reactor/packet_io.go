package reactor

import (
	"errors"
	"net"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/evmachine/evmachine/reactor/internal/poller"
	"golang.org/x/sys/unix"
)

// ErrPacketDropped is returned by PacketConn.WriteTo when the socket pushed
// back and the queue is full: the datagram is dropped and counted.
var ErrPacketDropped = errors.New("reactor: datagram dropped: send queue full")

// ready handles one poller event of a PacketConn: datagrams to read, then
// the queue to flush.
func (pc *PacketConn) ready(ev *poller.Event) {
	if ev.Readable {
		pc.readPackets()
	}
	if ev.Writable && !pc.closed {
		pc.flushQueue()
	}
}

// readPackets reads up to packetBudget datagrams, recvBatch at a time,
// into the reactor's packet memory and hands each to ReceivePacket.
func (pc *PacketConn) readPackets() {
	r := pc.r
	for budget := packetBudget; budget > 0; {
		want := min(budget, recvBatch)
		n, err := pc.recvSome(want)
		switch {
		case err == nil:
		case err == errAgain:
			return
		default:
			// EINTR, or an error queued by an ICMP message about an
			// earlier datagram (ECONNREFUSED): nothing to deliver.
			budget--
			continue
		}
		for i := range n {
			data, from, ok := pc.datagram(i)
			if !ok {
				pc.stats.Truncated++
				continue
			}
			pc.stats.Received++
			r.stats.bytesIn += uint64(len(data))
			r.receivePacket(pc, data, from)
			if pc.closed {
				return
			}
		}
		if n < want {
			return // the socket is empty
		}
		budget -= n
	}
}

// receivePacket calls ReceivePacket; a panic is reported and the datagram
// dropped.
func (r *Reactor) receivePacket(pc *PacketConn, data []byte, from netip.AddrPort) {
	defer func() {
		if v := recover(); v != nil {
			r.callbackPanic(v)
		}
	}()
	if r.slow != nil {
		t := r.slow.begin(pc.h, "ReceivePacket")
		pc.h.ReceivePacket(pc, data, from)
		r.slowEnd(t)
		return
	}
	pc.h.ReceivePacket(pc, data, from)
}

// callbackPanic reports a panic of a callback that closes nothing.
func (r *Reactor) callbackPanic(v any) {
	r.slowAbort()
	r.reportPanic(v, debug.Stack(), nil)
}

// WriteTo sends p as one datagram to to, as EventMachine's send_datagram.
// It never blocks: when the socket pushes back (EAGAIN), or datagrams are
// queued already, p is copied into the PacketConn's queue, which the loop
// sends in order as the socket becomes writable, and WriteTo returns
// len(p), nil. When the queue is full the datagram is dropped, counted in
// PacketStats.Dropped, and WriteTo returns 0, ErrPacketDropped. An IPv4
// address on a dual-stack socket is sent IPv4-mapped. Errors of the send
// itself (EMSGSIZE, EACCES for a broadcast without WithBroadcast) are
// returned and leave the PacketConn open. On a unixgram socket use
// WriteToUnix. Must be called on the reactor goroutine.
func (pc *PacketConn) WriteTo(p []byte, to netip.AddrPort) (int, error) {
	if pc.r.cfg.loopCheck {
		pc.r.checkLoop("PacketConn.WriteTo")
	}
	if pc.family == unix.AF_UNIX {
		return 0, &net.OpError{Op: "write", Net: "unixgram", Err: errors.New("WriteTo on a unixgram socket: use WriteToUnix")}
	}
	return pc.write(p, to, "")
}

// WriteToUnix is WriteTo for a unixgram socket: path is the receiving
// socket's file (or an abstract name starting with "@" on Linux).
func (pc *PacketConn) WriteToUnix(p []byte, path string) (int, error) {
	if pc.r.cfg.loopCheck {
		pc.r.checkLoop("PacketConn.WriteToUnix")
	}
	if pc.family != unix.AF_UNIX {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: errors.New("WriteToUnix on a UDP socket: use WriteTo")}
	}
	return pc.write(p, netip.AddrPort{}, path)
}

func (pc *PacketConn) write(p []byte, to netip.AddrPort, path string) (int, error) {
	if pc.closed {
		return 0, ErrClosed
	}
	if pc.out.len() == 0 {
		err := pc.send(p, to, path)
		if err == nil {
			return len(p), nil
		}
		if err != errAgain {
			return 0, err
		}
	}
	if !pc.out.push(p, to, path, pc.maxOut) {
		pc.stats.Dropped++
		return 0, ErrPacketDropped
	}
	pc.waitWritable()
	return len(p), nil
}

// send is one sendto: nil, errAgain, or the send's error.
func (pc *PacketConn) send(p []byte, to netip.AddrPort, path string) error {
	for {
		err := sendTo(pc.fd, pc.family, p, to, path)
		switch err {
		case nil:
			pc.stats.Sent++
			pc.r.stats.bytesOut += uint64(len(p))
			return nil
		case errIntr:
			continue
		case errAgain, unix.ENOBUFS: // ENOBUFS: the BSDs' way of pushing back
			return errAgain
		}
		return syscallErr("sendto", err)
	}
}

// flushQueue sends queued datagrams until the socket pushes back. A
// datagram the kernel refuses for good is dropped and counted.
func (pc *PacketConn) flushQueue() {
	q := &pc.out
	for q.len() > 0 {
		e := &q.ents[q.head]
		err := pc.send(q.buf[q.off:q.off+e.n], e.to, e.path)
		if err == errAgain {
			pc.waitWritable()
			return
		}
		if err != nil {
			pc.stats.Dropped++
		}
		q.pop()
	}
	pc.setWriteInterest(false)
}

// unixRetry is how often a unixgram socket retries its queue.
const unixRetry = 2 * time.Millisecond

// waitWritable arranges for the queue to be flushed: when the socket is
// writable for UDP; on a timer for unixgram, because Linux reports an
// unconnected unix datagram socket writable while the receiver's queue is
// full (writability would spin the loop).
func (pc *PacketConn) waitWritable() {
	if pc.family != unix.AF_UNIX {
		pc.setWriteInterest(true)
		return
	}
	if !pc.retry.Active() {
		pc.retry = pc.r.timers.Schedule(unixRetry, pc.retryFn)
	}
}

func (pc *PacketConn) retryQueue() {
	if !pc.closed {
		pc.flushQueue()
	}
}

// setWriteInterest asks the poller for writability while the queue waits.
func (pc *PacketConn) setWriteInterest(on bool) {
	if pc.wantW == on || pc.closed {
		return
	}
	if err := pc.r.poller.Mod(pc.fd, true, on); err != nil {
		pc.r.log.Error("reactor: datagram socket interest", "err", err)
		return
	}
	pc.wantW = on
}

// SenderPath returns, during ReceivePacket on a unixgram socket, the
// sender's socket path ("" for an unbound sender, which cannot be answered;
// "@name" for a Linux abstract address): reply with WriteToUnix. On a UDP
// socket it returns "" (the sender is ReceivePacket's from).
func (pc *PacketConn) SenderPath() string {
	if pc.family != unix.AF_UNIX {
		return ""
	}
	return pc.sender.path()
}

// packetQueue holds the datagrams the socket has not taken yet, in order:
// their bytes back to back in buf, and where each goes in ents. It
// allocates only when it grows past what it had.
type packetQueue struct {
	ents  []queuedPacket
	head  int // ents[head:] wait
	buf   []byte
	off   int // buf[off:] are theirs
	bytes int // what they cost against the bound
}

type queuedPacket struct {
	to   netip.AddrPort
	path string
	n    int
}

func (q *packetQueue) len() int { return len(q.ents) - q.head }

// push queues a copy of p unless that would pass max; it reports whether
// it did.
func (q *packetQueue) push(p []byte, to netip.AddrPort, path string, max int) bool {
	if q.bytes+len(p)+packetCost > max {
		return false
	}
	if q.head > 0 && len(q.ents) == cap(q.ents) {
		n := copy(q.ents, q.ents[q.head:])
		clear(q.ents[n:])
		q.ents, q.head = q.ents[:n], 0
	}
	if q.off > 0 && len(q.buf)+len(p) > cap(q.buf) {
		n := copy(q.buf, q.buf[q.off:])
		q.buf, q.off = q.buf[:n], 0
	}
	q.ents = append(q.ents, queuedPacket{to: to, path: path, n: len(p)})
	q.buf = append(q.buf, p...)
	q.bytes += len(p) + packetCost
	return true
}

// pop drops the first datagram.
func (q *packetQueue) pop() {
	e := &q.ents[q.head]
	q.off += e.n
	q.bytes -= e.n + packetCost
	*e = queuedPacket{}
	q.head++
	if q.head == len(q.ents) {
		q.ents, q.head = q.ents[:0], 0
		q.buf, q.off = q.buf[:0], 0
	}
}
