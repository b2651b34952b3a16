package reactor

import (
	"errors"
	"fmt"
)

// spliceMin is the size of a move below which the next move of that proxy
// copies instead of splicing: for small messages read+write is cheaper
// than two splices, and a read that fills the buffer switches back.
const spliceMin = 16 << 10

// moveResult tells proxyRead what to do after one move.
type moveResult uint8

const (
	moveMore moveResult = iota // the source may have more: go on within the budget
	moveDone                   // the source is drained, failed or closed: wait for readiness
	moveEOF                    // the source's peer closed its write side
)

// proxyRead is readConn for a proxying source: it moves bytes to the
// target within the same read budget, pausing the source (fProxyWait)
// while the target holds too much, and stops the proxy at its limit or
// when the target is gone.
func (r *Reactor) proxyRead(src *Conn) {
	ps := src.px()
	budget := readBudget * len(r.readBuf)
	for budget > 0 && src.flags&noRead == 0 {
		dst := ps.dst
		if dst.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
			r.stopProxy(src, targetGone(dst)) // its data waits for ReceiveData
			return
		}
		if dst.px().pipe != nil || dst.OutboundSize() >= ps.cfg.buffer {
			src.flags |= fProxyWait // proxyDrained clears it
			src.updateInterest()
			return
		}
		want := budget
		if ps.cfg.limit > 0 {
			want = int(min(int64(want), ps.cfg.limit-ps.moved))
		}
		var n int
		var res moveResult
		if r.canSplice(ps, dst) {
			n, res = r.spliceMove(src, dst, want)
		} else {
			n, res = r.copyMove(src, dst, want)
		}
		if n > 0 {
			ps.moved += int64(n)
			ps.small = n < spliceMin
			budget -= n
			src.lastActive = r.nowNs
			if ps.cfg.counter != nil {
				ps.cfg.counter.Add(uint64(n))
			}
		}
		if ps.cfg.limit > 0 && ps.moved >= ps.cfg.limit {
			r.stopProxy(src, ErrProxyLimit)
			return
		}
		switch res {
		case moveDone:
			return
		case moveEOF:
			r.peerClosed(src)
			return
		}
	}
}

// canSplice reports whether the next move may go through a pipe: the OS
// has splice, the pair allows it, the traffic is bulk, and nothing is
// queued on the connected target, neither bytes nor a SendFile (spliced
// bytes must not overtake them; copied ones queue behind the file).
func (r *Reactor) canSplice(ps *proxyState, dst *Conn) bool {
	_, plainDst := dst.st.(*proxyState) // no other stage (TLS) between dst's socket and the bytes
	return spliceSupported && !ps.noSplice && !ps.small && plainDst &&
		dst.flags&(fConnecting|fResolving) == 0 && dst.OutboundSize() == 0 && !dst.sf.holdsWrites()
}

// copyMove reads one buffer from src and writes it to dst, which queues
// what its socket does not take. A failed write closes dst; the next round
// of proxyRead sees that.
func (r *Reactor) copyMove(src, dst *Conn, want int) (int, moveResult) {
	buf := r.readBuf[:min(want, len(r.readBuf))]
	n, err := src.recv(buf)
	switch {
	case n > 0:
		src.px().copied += int64(n)
		r.stats.bytesIn += uint64(n)
		dst.Write(buf[:n])
		if n < len(buf) {
			return n, moveDone
		}
		return n, moveMore
	case err == nil:
		return 0, moveEOF
	case err == errAgain:
		return 0, moveDone
	case err == errIntr:
		return 0, moveMore
	}
	src.closeWith(syscallErr("read", err))
	return 0, moveDone
}

// spliceMove splices from src into a pooled pipe and from the pipe into
// dst. Bytes dst's socket does not take stay in the pipe, which becomes
// dst's pending output (flushPipe writes it first when dst is writable).
// Without a pipe, or when the kernel cannot splice these fds, it copies.
func (r *Reactor) spliceMove(src, dst *Conn, want int) (int, moveResult) {
	pool := r.pipePool()
	p := pool.get(r.nowNs)
	if p == nil {
		return r.copyMove(src, dst, want)
	}
	ask := min(want, p.size)
	n, err := spliceFd(src.fd, p.w, ask)
	if n <= 0 {
		pool.put(p)
		switch {
		case err == nil:
			return 0, moveEOF
		case err == errAgain:
			return 0, moveDone
		case err == errIntr:
			return 0, moveMore
		case spliceUnsupported(err):
			src.px().noSplice = true
			return r.copyMove(src, dst, want)
		}
		src.closeWith(syscallErr("splice", err))
		return 0, moveDone
	}
	src.px().spliced += int64(n)
	r.stats.bytesIn += uint64(n)
	p.n = n
	dst.px().pipe = p
	r.flushPipe(dst)
	if n < ask {
		return n, moveDone
	}
	return n, moveMore
}

// flushPipe writes c's spliced bytes to its socket. It returns true once
// the pipe is empty (and back in the pool), false if the kernel pushed back
// (write interest is then set) or c closed.
func (r *Reactor) flushPipe(c *Conn) bool {
	p := c.px().pipe
	for p.n > 0 {
		n, err := spliceFd(p.r, c.fd, p.n)
		switch {
		case n > 0:
			p.n -= n
			c.lastActive = r.nowNs
			r.stats.bytesOut += uint64(n)
		case err == errAgain:
			c.updateInterest()
			return false
		case err == errIntr:
		case spliceUnsupported(err):
			return r.evacuatePipe(c)
		case err == nil:
			c.closeWith(errors.New("reactor: proxy pipe emptied early"))
			return false
		default:
			c.closeWith(syscallErr("splice", err))
			return false
		}
	}
	c.px().pipe = nil
	r.pipes.put(p)
	return true
}

// evacuatePipe moves c's spliced bytes from the pipe to the front of its
// outbound buffer, for a socket the kernel will not splice into; the
// source copies from then on.
func (r *Reactor) evacuatePipe(c *Conn) bool {
	p := c.px().pipe
	b := make([]byte, p.n, p.n+len(c.out)-c.outHead)
	for off := 0; off < len(b); {
		n, err := readFd(p.r, b[off:])
		if err == errIntr {
			continue
		}
		if n <= 0 {
			c.closeWith(fmt.Errorf("reactor: proxy pipe: %w", syscallErr("read", err)))
			return false
		}
		off += n
	}
	p.n = 0
	c.px().pipe = nil
	r.pipes.put(p)
	c.out = append(b, c.out[c.outHead:]...)
	c.outHead = 0
	if src := c.px().src; src != nil && src.px() != nil {
		src.px().noSplice = true // (src proxies to c: it has a proxyState)
	}
	return true
}

// proxyForward hands a proxying source's input that its stage already read
// and decrypted (a TLS Conn) to the target, as copyMove does with what it
// reads: within the limit (the rest goes to ReceiveData once the proxy
// stopped), and pausing the source (fProxyWait) while the target holds
// more than its buffer.
func (r *Reactor) proxyForward(src *Conn, ps *proxyState, p []byte) {
	dst := ps.dst
	if dst.flags&(fClosed|fCloseAfterWriting|fWriteShut) != 0 {
		r.stopProxy(src, targetGone(dst))
		r.receive(src, p) // its data goes to ReceiveData again
		return
	}
	var rest []byte
	if ps.cfg.limit > 0 && int64(len(p)) > ps.cfg.limit-ps.moved {
		p, rest = p[:ps.cfg.limit-ps.moved], p[ps.cfg.limit-ps.moved:]
	}
	dst.Write(p)
	ps.moved += int64(len(p))
	ps.copied += int64(len(p))
	if ps.cfg.counter != nil {
		ps.cfg.counter.Add(uint64(len(p)))
	}
	switch {
	case ps.cfg.limit > 0 && ps.moved >= ps.cfg.limit:
		r.stopProxy(src, ErrProxyLimit)
		if len(rest) > 0 && src.flags&fClosed == 0 {
			r.receive(src, rest)
		}
	case dst.OutboundSize() >= ps.cfg.buffer:
		src.flags |= fProxyWait // proxyDrained clears it
		src.updateInterest()
	}
}
