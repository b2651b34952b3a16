package redis

import (
	"slices"
	"strings"
)

// blockingName is a cheap first test of a command name for isBlocking.
func blockingName(name string) bool {
	if name == "" {
		return false
	}
	switch name[0] | 0x20 {
	case 'b', 'w', 'x':
		return true
	}
	return false
}

// isBlocking reports whether a command may block the connection it runs
// on: it then goes to the blocking pool. arg(i) returns argument i as a
// string ("" for other types).
func isBlocking(name string, n int, arg func(i int) string) bool {
	switch strings.ToUpper(name) {
	case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP",
		"BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF":
		return true
	case "XREAD", "XREADGROUP":
		for i := 1; i < n; i++ {
			a := arg(i)
			if strings.EqualFold(a, "BLOCK") {
				return true
			}
			if strings.EqualFold(a, "STREAMS") {
				return false
			}
		}
	}
	return false
}

// blockingPool holds the connections of blocking commands: each runs one
// command at a time, so a BLPOP that waits a minute never stalls the
// pipeline. Up to WithBlockingPool connections are opened on demand and
// kept for reuse; commands beyond wait their turn (bounded as the offline
// queue). A lost pool connection is not reconnected: its command fails
// and the next command opens a new one.
type blockingPool struct {
	c      *Client
	all    []*conn
	idle   []*conn
	wait   []blockingCmd
	closed bool
}

type blockingCmd struct {
	cmd []byte
	cb  func(Value, error)
}

func (p *blockingPool) do(cmd []byte, cb func(Value, error)) {
	if p.closed {
		p.c.main.later(cb, ErrClosed)
		return
	}
	cn := p.get()
	if cn == nil {
		if len(p.wait) >= p.c.o.offlineQueue {
			p.c.main.later(cb, ErrQueueFull)
			return
		}
		p.wait = append(p.wait, blockingCmd{cmd: slices.Clone(cmd), cb: cb})
		return
	}
	p.run(cn, cmd, cb)
}

// get returns an idle connection, or a new one if the pool has room.
func (p *blockingPool) get() *conn {
	for len(p.idle) > 0 {
		cn := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if cn.usable() {
			return cn
		}
	}
	if len(p.all) >= p.c.o.blockingPool {
		return nil
	}
	m := p.c.main
	cn := p.c.newConn(roleBlocking, m.net, m.addr)
	cn.onGone = func() { p.gone(cn) }
	p.all = append(p.all, cn)
	cn.connect()
	return cn
}

func (p *blockingPool) run(cn *conn, cmd []byte, cb func(Value, error)) {
	cn.send(cmd, pending{cb: func(v Value, err error) {
		p.release(cn)
		if cb != nil {
			cb(v, err)
		}
	}})
}

// release takes back a connection whose command was answered.
func (p *blockingPool) release(cn *conn) {
	if p.closed || !cn.usable() {
		return
	}
	if len(p.wait) > 0 {
		next := p.wait[0]
		p.wait = p.wait[1:]
		p.run(cn, next.cmd, next.cb)
		return
	}
	p.idle = append(p.idle, cn)
}

// gone forgets a connection that closed, and gives a waiting command a
// new one.
func (p *blockingPool) gone(cn *conn) {
	p.all = slices.DeleteFunc(p.all, func(x *conn) bool { return x == cn })
	p.idle = slices.DeleteFunc(p.idle, func(x *conn) bool { return x == cn })
	if p.closed || len(p.wait) == 0 {
		return
	}
	if next := p.get(); next != nil {
		cmd := p.wait[0]
		p.wait = p.wait[1:]
		p.run(next, cmd.cmd, cmd.cb)
	}
}

func (p *blockingPool) close() {
	p.closed = true
	for _, cn := range p.all {
		cn.close()
	}
	p.all, p.idle = nil, nil
	for _, w := range p.wait {
		p.c.main.later(w.cb, ErrClosed)
	}
	p.wait = nil
}
