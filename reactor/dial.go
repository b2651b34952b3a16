package reactor

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/evmachine/evmachine/timer"
	"golang.org/x/sys/unix"
)

// dialAttemptDelay is the head start one connection attempt gets before
// the next address is tried in parallel (RFC 8305's Connection Attempt
// Delay; net.Dialer's fallback delay is 300 ms).
const dialAttemptDelay = 250 * time.Millisecond

// Resolver looks up the addresses of a host name; *net.Resolver (and
// net.DefaultResolver) is one. WithResolver sets it for Connect.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// WithResolver sets the resolver Connect uses for host names (default
// net.DefaultResolver). It is called on its own goroutine, never the loop's.
func WithResolver(res Resolver) ConnOption {
	return func(c *connConfig) {
		if res != nil {
			c.resolver = res
		}
	}
}

// resolve looks host up on another goroutine and comes back through
// NextTick to start the connect. The Conn waits without an fd meanwhile.
func (r *Reactor) resolve(c *Conn, network, host string, port int, cc *connConfig) {
	c.flags |= fResolving
	r.resolving[c] = nil
	family := "ip"
	switch network {
	case "tcp4":
		family = "ip4"
	case "tcp6":
		family = "ip6"
	}
	res := cc.resolver
	if res == nil {
		res = net.DefaultResolver
	}
	go func() {
		ctx := context.Background()
		if cc.connectTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cc.connectTimeout)
			defer cancel()
		}
		ips, err := res.LookupNetIP(ctx, family, host)
		if err == nil && len(ips) == 0 {
			err = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		r.NextTick(func() {
			if c.flags&fClosed != 0 {
				return
			}
			if err != nil {
				c.closeWith(dialError(nil, err))
				return
			}
			d := &dialRace{r: r, c: c, cc: cc, network: network, port: port, addrs: interleave(ips)}
			r.resolving[c] = d
			d.next()
		})
	}()
}

// interleave orders addresses as RFC 8305 section 4 asks: the families
// alternate, starting with the family of the resolver's first choice.
func interleave(ips []netip.Addr) []netip.Addr {
	if len(ips) < 2 {
		return ips
	}
	first := ips[0].Unmap().Is4()
	var same, other []netip.Addr
	for _, ip := range ips {
		if ip.Unmap().Is4() == first {
			same = append(same, ip)
		} else {
			other = append(other, ip)
		}
	}
	out := make([]netip.Addr, 0, len(ips))
	for i := 0; i < len(same) || i < len(other); i++ {
		if i < len(same) {
			out = append(out, same[i])
		}
		if i < len(other) {
			out = append(out, other[i])
		}
	}
	return out
}

// dialRace connects a Conn to the first of several addresses that
// answers (RFC 8305, "happy eyeballs"): one attempt starts, the next one
// when it fails or after dialAttemptDelay, and so on; the first attempt
// to connect becomes the Conn's socket and the others are closed. When
// every attempt failed, the Conn closes with the last error. The Conn's
// own connect timeout bounds the whole race.
type dialRace struct {
	r       *Reactor
	c       *Conn
	cc      *connConfig
	network string
	port    int
	addrs   []netip.Addr
	tried   int
	live    []*dialAttempt
	lastErr error
	delay   timer.Handle
}

// dialAttempt is one socket of a race, in the fd table until it connects
// or fails.
type dialAttempt struct {
	d    *dialRace
	fd   int
	sa   unix.Sockaddr
	born uint64
}

func (*dialAttempt) ownsFd() {}

// next starts the next address's attempt; addresses that fail at once
// are skipped. With nothing left to try and nothing in flight, the Conn
// fails with the last error.
func (d *dialRace) next() {
	d.delay.Cancel()
	if d.c.flags&fClosed != 0 {
		return
	}
	for d.tried < len(d.addrs) {
		sa, family := tcpSockaddr(d.addrs[d.tried], d.port, d.network)
		d.tried++
		fd, err := dialSocket(sa, family, d.cc)
		if err == nil {
			if err = d.r.poller.Add(fd, false, true); err != nil {
				closeFd(fd)
			}
		}
		if err != nil {
			d.lastErr = dialError(toNetAddr(sa), err)
			continue
		}
		a := &dialAttempt{d: d, fd: fd, sa: sa, born: d.r.iter}
		d.r.fds.set(fd, a)
		d.live = append(d.live, a)
		if d.tried < len(d.addrs) {
			d.delay = d.r.timers.Schedule(dialAttemptDelay, d.next)
		}
		return
	}
	if len(d.live) == 0 {
		d.c.closeWith(d.lastErr)
	}
}

// ready handles the first event of an attempt: a failure starts the next
// address at once; a success hands the socket to the Conn.
func (a *dialAttempt) ready() {
	d := a.d
	if a.born == d.r.iter {
		return // a stale event of an fd number closed earlier in this batch
	}
	d.drop(a)
	if err := sockError(a.fd, nil); err != nil {
		closeFd(a.fd)
		d.lastErr = dialError(toNetAddr(a.sa), err)
		d.next()
		return
	}
	d.abort()
	c := d.c
	delete(d.r.resolving, c)
	c.flags &^= fResolving
	c.fd, c.raddr = a.fd, toNetAddr(a.sa)
	c.flags |= fRegistered | fRegWrite
	c.born = a.born
	d.r.fds.set(c.fd, c)
	d.r.finishConnect(c)
}

// drop forgets attempt a (its fd is the caller's to close or keep).
func (d *dialRace) drop(a *dialAttempt) {
	d.r.fds.clear(a.fd, a)
	for i, x := range d.live {
		if x == a {
			d.live = append(d.live[:i], d.live[i+1:]...)
			break
		}
	}
}

// abort closes every attempt still in flight: the race is won or the
// Conn is closed.
func (d *dialRace) abort() {
	d.delay.Cancel()
	for _, a := range d.live {
		d.r.fds.clear(a.fd, a)
		closeFd(a.fd)
	}
	d.live = nil
}
