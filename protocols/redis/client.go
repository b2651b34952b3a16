package redis

import (
	"fmt"
	"strings"

	"github.com/evmachine/evmachine/reactor"
)

// Client is a Redis client on a reactor: one pipelined connection for
// ordinary commands (and, on RESP3, pub/sub), a RESP2 subscriber
// connection when needed, and a small pool of connections for blocking
// commands. Every method must be called on the reactor goroutine (from a
// callback, or before Run on the goroutine setting the reactor up);
// another goroutine uses r.NextTick(func() { c.Do(...) }). Every callback
// runs on the reactor goroutine, never inside the call that issued it.
type Client struct {
	r    *reactor.Reactor
	o    options
	main *conn
	ps   *conn // RESP2 subscriber connection, once needed
	subs map[subKey]*subscription
	pool blockingPool
	buf  []byte // scratch for encoding
}

// Dial makes a Client for the server at addr ("host:port", or a path for
// a Unix socket) and starts connecting. It returns at once: commands
// issued before the connection is up wait in the offline queue
// (WithOfflineQueue) and go out, in order, after the handshake. Dial
// fails only for what is known at once (bad options, a malformed
// address); a server that cannot be reached shows as failing commands and
// WithEventHandler's events. Must be called on the reactor goroutine.
func Dial(r *reactor.Reactor, addr string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.protocol != 2 && o.protocol != 3 {
		return nil, fmt.Errorf("redis: protocol %d (want 2 or 3)", o.protocol)
	}
	if o.limits.MaxBulk <= 0 || o.limits.MaxLine <= 0 || o.limits.MaxAggregate <= 0 || o.limits.MaxDepth <= 0 {
		return nil, fmt.Errorf("redis: limits must be positive: %+v", o.limits)
	}
	network := "tcp"
	if strings.Contains(addr, "/") {
		network = "unix"
	}
	c := &Client{r: r, o: o, subs: map[subKey]*subscription{}}
	c.pool.c = c
	c.main = c.newConn(roleMain, network, addr)
	c.main.connect()
	if c.main.state == StateFailed {
		return nil, fmt.Errorf("redis: dial %s: cannot connect", addr)
	}
	return c, nil
}

func (c *Client) newConn(ro role, network, addr string) *conn {
	cn := newConn(c.r, &c.o, ro, network, addr)
	switch ro {
	case roleMain:
		cn.onReady = c.mainReady
		cn.onMessage = c.message
	case rolePubSub:
		cn.onReady = func() { c.resubscribe(cn) }
		cn.onMessage = c.message
	}
	return cn
}

// State returns the main connection's state. Loop-only.
func (c *Client) State() State { return c.main.state }

// Reactor returns the reactor the client runs on. Any goroutine.
func (c *Client) Reactor() *reactor.Reactor { return c.r }

// Protocol returns 3 or 2, the protocol of the main connection, or 0
// before its first handshake. Loop-only.
func (c *Client) Protocol() int { return c.main.proto }

// Do sends a command and calls cb with its reply: the Value and nil, or,
// for an error reply, the Value and an Error; or a zero Value and an
// error saying why no reply came (ErrConnectionLost, ErrTimeout,
// ErrClosed, ErrQueueFull, ...). A null reply is a Value of KindNull with
// no error. cb may be nil. Arguments are encoded as AppendCommand says.
//
// Commands issued in one loop iteration go out in one write, and replies
// are matched in order. Blocking commands (BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, XREAD and XREADGROUP
// with BLOCK, WAIT, WAITAOF) go to a connection of their own from the
// blocking pool. Pub/sub subscriptions go through Subscribe and its
// siblings: Do refuses (UN)(P|S)SUBSCRIBE, MONITOR and HELLO with
// ErrUnsupported. Loop-only.
func (c *Client) Do(cb func(Value, error), args ...any) {
	if name, ok := args0(args); ok {
		if err := refused(name); err != nil {
			c.main.later(cb, err)
			return
		}
	}
	var err error
	c.buf, err = AppendCommand(c.buf[:0], args...)
	if err != nil {
		c.main.later(cb, err)
		return
	}
	c.route(cb, args)
}

// DoStrings is Do for arguments that are all strings, without boxing them
// into interfaces. Loop-only.
func (c *Client) DoStrings(cb func(Value, error), args ...string) {
	if len(args) == 0 {
		c.main.later(cb, fmt.Errorf("redis: empty command"))
		return
	}
	if err := refused(args[0]); err != nil {
		c.main.later(cb, err)
		return
	}
	c.buf = AppendStrings(c.buf[:0], args...)
	if blockingName(args[0]) && isBlocking(args[0], len(args), func(i int) string { return args[i] }) {
		c.pool.do(c.buf, cb)
		return
	}
	c.main.send(c.buf, pending{cb: cb})
}

func args0(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}

// refused returns an error for the commands Do cannot run because their
// replies do not follow the one-reply-per-command rule of the pipeline.
func refused(name string) error {
	if name == "" {
		return nil
	}
	switch name[0] | 0x20 {
	case 's', 'p', 'u', 'm', 'h':
	default:
		return nil
	}
	switch strings.ToUpper(name) {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
		return fmt.Errorf("%w: %s through Do: use Client.Subscribe and its siblings", ErrUnsupported, name)
	case "MONITOR", "HELLO":
		return fmt.Errorf("%w: %s through Do", ErrUnsupported, name)
	}
	return nil
}

// route sends the command encoded in c.buf where it belongs.
func (c *Client) route(cb func(Value, error), args []any) {
	if name, ok := args[0].(string); ok && blockingName(name) &&
		isBlocking(name, len(args), func(i int) string { s, _ := args[i].(string); return s }) {
		c.pool.do(c.buf, cb)
		return
	}
	c.main.send(c.buf, pending{cb: cb})
}

// Close closes every connection of the client. Commands still waiting
// fail with ErrClosed; later ones too. Loop-only.
func (c *Client) Close() {
	c.main.close()
	if c.ps != nil {
		c.ps.close()
	}
	c.pool.close()
	clear(c.subs)
}
