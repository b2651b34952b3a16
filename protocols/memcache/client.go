package memcache

import (
	"fmt"
	"time"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// Item is an item of the cache, as bradfitz/gomemcache's.
type Item struct {
	Key        string // at most 250 bytes, no spaces or control characters
	Value      []byte
	Flags      uint32 // opaque to the server
	Expiration int32  // seconds from now, or a Unix time; 0: never
	CasID      uint64 // set by Gets and GetsMulti; sent by CompareAndSwap
}

// Stats counts what a Client did; Stats returns a copy.
type Stats struct {
	Commands   uint64 // commands sent (noreply ones included)
	Replies    uint64 // replies parsed (each VALUE and END count)
	Writes     uint64 // writes to the connection: one per loop iteration that issued commands
	Reads      uint64 // reads from the connection (ReceiveData calls)
	Connects   uint64 // connections established
	Pending    int    // commands waiting for a reply or for a connection
	Reconnects uint64 // connection attempts after the first
}

// Client is a memcached client on a reactor: one connection, commands
// pipelined on it, replies matched to commands in order. Its methods must
// be called on the reactor goroutine, and its callbacks run there.
type Client struct {
	r    *reactor.Reactor
	addr string
	cfg  config

	conn      *connHandler // the current connection; nil while waiting to reconnect
	closed    bool
	closeErr  error // what closed it (ErrClosed, or the last connection error without reconnect)
	lastErr   error // why the last connection attempt or connection failed
	backoff   time.Duration
	retry     *timer.Timer // the pending reconnect
	ticker    *timer.Timer // the timeout check
	flushWait bool         // a flush is scheduled for this iteration

	ops      ring[op]      // commands waiting for a reply, then those not sent yet
	nsent    int           // how many ops at the head of ops were written
	wbuf     []byte        // wbuf[woff:] holds the commands not written yet
	woff     int           // start of the unwritten commands in wbuf
	wmark    int           // end of the last command queued in wbuf
	cmds     ring[command] // the commands in wbuf[woff:], noreply ones included
	inflight int           // bytes written whose replies have not all arrived
	flushFn  func()
	stats    Stats
	onFlush  func(n int) // test hook: flush is writing n bytes
}

// Dial returns a Client for the memcached at addr ("host:port", or a path
// for a Unix socket) and starts connecting. Commands may be issued at once:
// they wait, bounded by WithMaxQueued, until the connection is up, as with
// EventMachine's client. Dial fails only for what is known at once (a
// malformed address, a stopped reactor); a refused or lost connection is
// retried with backoff (WithReconnect). Must be called on the reactor
// goroutine.
func Dial(r *reactor.Reactor, addr string, opts ...Option) (*Client, error) {
	c := &Client{r: r, addr: addr, cfg: newConfig(opts)}
	c.flushFn = c.flush
	c.backoff = c.cfg.reconnectMin
	if err := c.connect(); err != nil {
		return nil, err
	}
	if d := c.cfg.timeout; d > 0 {
		c.ticker = r.AddPeriodicTimer(max(d/4, time.Millisecond), c.checkTimeouts)
	}
	return c, nil
}

// network returns the reactor network for addr.
func (c *Client) network() string {
	if len(c.addr) > 0 && c.addr[0] == '/' {
		return "unix"
	}
	return "tcp"
}

// Connected reports whether the Client has an established connection.
// Must be called on the reactor goroutine.
func (c *Client) Connected() bool { return c.conn != nil && c.conn.established }

// Stats returns the Client's counters. Must be called on the reactor
// goroutine.
func (c *Client) Stats() Stats {
	s := c.stats
	s.Pending = c.ops.len()
	return s
}

// Close closes the connection and fails every command not answered yet
// with ErrClosed; later commands fail with ErrClosed too. Must be called on
// the reactor goroutine.
func (c *Client) Close() {
	if c.closed {
		return
	}
	c.shut(ErrClosed)
}

// shut closes the Client for good with err.
func (c *Client) shut(err error) {
	c.closed, c.closeErr = true, err
	if c.retry != nil {
		c.retry.Cancel()
	}
	if c.ticker != nil {
		c.ticker.Cancel()
	}
	if h := c.conn; h != nil {
		c.conn = nil
		h.conn.Close()
	}
	c.failAll(err)
}

// failAll fails every command, sent or not, with err.
func (c *Client) failAll(err error) {
	c.failSent(err)
	c.failUnsent(err)
}

// failSent fails the commands written on the connection with err.
func (c *Client) failSent(err error) {
	failed := make([]op, 0, c.nsent)
	for range c.nsent {
		failed = append(failed, c.ops.pop())
	}
	c.nsent, c.inflight = 0, 0
	c.failLater(failed, err)
}

// failUnsent fails the commands that were not written yet with err.
func (c *Client) failUnsent(err error) {
	n := c.ops.len() - c.nsent
	failed := make([]op, 0, n)
	for i := c.nsent; i < c.ops.len(); i++ {
		failed = append(failed, *c.ops.at(i))
	}
	c.ops.truncate(c.nsent)
	c.cmds.truncate(0)
	c.wbuf, c.woff, c.wmark = c.wbuf[:0], 0, 0
	c.failLater(failed, err)
}

// failLater calls the callbacks of ops with err on the next tick, one
// tick each: the Client's state is settled before any of them runs, a
// callback never runs inside the call that issued its command, and one
// that panics (recovered by the reactor) does not keep the others from
// running.
func (c *Client) failLater(ops []op, err error) {
	for i := range ops {
		o := &ops[i]
		c.r.NextTick(func() { o.fail(err) })
	}
}

// checkTimeouts runs every quarter of the timeout: a connection whose
// oldest command waited too long is closed; commands queued for too long
// while disconnected fail.
func (c *Client) checkTimeouts() {
	if c.ops.len() == 0 {
		return
	}
	now := c.r.Now()
	oldest := c.ops.at(0).issued
	if now.Sub(oldest) < c.cfg.timeout {
		return
	}
	if c.nsent > 0 && c.conn != nil {
		c.lose(fmt.Errorf("%w (%v)", ErrTimeout, c.cfg.timeout))
		return
	}
	if c.Connected() {
		return // queued behind a flush of this iteration
	}
	err := fmt.Errorf("%w (%v) while not connected", ErrTimeout, c.cfg.timeout)
	if c.lastErr != nil {
		err = fmt.Errorf("%w (%v) while not connected: %w", ErrTimeout, c.cfg.timeout, c.lastErr)
	}
	c.failUnsent(err)
}
