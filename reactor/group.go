package reactor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Group is several reactors, one per core: each runs its own loop on its
// own goroutine, locked to an OS thread. g.Listen opens one listener per
// reactor on the same address (SO_REUSEPORT: the kernel spreads new
// connections over them on Linux; elsewhere one listener accepts and hands
// the connections round-robin to the reactors). A Conn lives and dies on
// the reactor that accepted it (or that Connect was called on), so handler
// code stays single-threaded per connection; code that spans Conns of
// different reactors talks through NextTick, AsyncWrite or a Channel.
//
// Reactors, Next, Stop, Shutdown and Running are safe for concurrent use;
// Listen may be called before Run, or from any goroutine while it runs.
type Group struct {
	rs   []*Reactor
	next atomic.Uint32
	ran  atomic.Bool
	mu   sync.Mutex
	ls   []*Listener // opened by Listen, in order
}

// NewGroup creates n reactors (n <= 0: GOMAXPROCS), each with opts.
func NewGroup(n int, opts ...Option) (*Group, error) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g := &Group{rs: make([]*Reactor, 0, n)}
	for range n {
		r, err := New(opts...)
		if err != nil {
			for _, r := range g.rs {
				r.Stop()
				r.Run() // closes its poller
			}
			return nil, err
		}
		g.rs = append(g.rs, r)
	}
	return g, nil
}

// Reactors returns the group's reactors. Safe for concurrent use.
func (g *Group) Reactors() []*Reactor { return append([]*Reactor(nil), g.rs...) }

// Next picks a reactor for an outbound Connect, round-robin. Connect must
// then run on that reactor's goroutine: r.NextTick(func() { r.Connect(...) }).
// Safe for concurrent use.
func (g *Group) Next() *Reactor {
	return g.rs[int(g.next.Add(1)-1)%len(g.rs)]
}

// Listen opens one listener per reactor on network and addr (tcp networks:
// SO_REUSEPORT is set; port 0 picks one free port for all of them), each
// accepting Conns for its own reactor with newHandler and opts. It returns
// an error if any listener cannot be opened (those opened are closed); the
// address listened on is Listeners()[i].Addr(). A unix socket, which
// cannot be shared, is listened on by the first reactor, which hands
// connections round-robin to the others.
func (g *Group) Listen(network, addr string, newHandler func(*Conn) Handler, opts ...ConnOption) error {
	if network == "unix" || !reusePortBalances {
		return g.listenSpread(network, addr, newHandler, opts)
	}
	opts = append(opts[:len(opts):len(opts)], WithReusePort())
	var opened []*Listener
	for i, r := range g.rs {
		l, err := onReactor(r, func() (*Listener, error) { return r.Listen(network, addr, newHandler, opts...) })
		if err != nil {
			for j, l := range opened {
				onReactor(g.rs[j], func() (*Listener, error) { return nil, l.Close() })
			}
			return err
		}
		if i == 0 {
			if ta, ok := l.Addr().(*net.TCPAddr); ok { // port 0: the others take the same port
				host, _, _ := net.SplitHostPort(addr)
				addr = net.JoinHostPort(host, strconv.Itoa(ta.Port))
			}
		}
		opened = append(opened, l)
	}
	g.mu.Lock()
	g.ls = append(g.ls, opened...)
	g.mu.Unlock()
	return nil
}

// Listeners returns the listeners Listen opened, in order (one per reactor
// and Listen call, or one per call where connections are dealt out). Their
// Addr is safe to read from any goroutine; their other methods belong to
// their reactor's goroutine.
func (g *Group) Listeners() []*Listener {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Listener(nil), g.ls...)
}

// listenSpread listens on the first reactor only and deals the accepted
// connections out to every reactor in turn.
func (g *Group) listenSpread(network, addr string, newHandler func(*Conn) Handler, opts []ConnOption) error {
	r0 := g.rs[0]
	l, err := onReactor(r0, func() (*Listener, error) {
		l, err := r0.Listen(network, addr, newHandler, opts...)
		if err == nil {
			l.spread = g // on r0's loop, before its first accept
		}
		return l, err
	})
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.ls = append(g.ls, l)
	g.mu.Unlock()
	return nil
}

// handOff gives an accepted fd to the next reactor (listenSpread). It
// reports false when that is the accepting reactor itself.
func (g *Group) handOff(from *Reactor, fd int, newHandler func(*Conn) Handler, cc *connConfig) bool {
	to := g.Next()
	if to == from {
		return false
	}
	if !to.post(func() { to.newConn(fd, newHandler, cc) }) {
		closeFd(fd) // that reactor has stopped
	}
	return true
}

// onReactor runs fn on r's loop and returns its result: directly before
// Run or when called from r's own loop, through NextTick otherwise.
func onReactor[T any](r *Reactor, fn func() (T, error)) (T, error) {
	if !r.running.Load() || r.onLoop() {
		return fn()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	if !r.post(func() { v, err := fn(); ch <- result{v, err} }) {
		var zero T
		return zero, ErrNotRunning
	}
	res := <-ch
	return res.v, res.err
}

// Run runs every reactor, each on its own goroutine locked to an OS
// thread, and returns when all have stopped. If one loop fails (its poller
// fails, or a callback's panic escapes through a re-panicking
// WithPanicHandler), the others are stopped too and Run returns that
// error. A Group runs once.
func (g *Group) Run() error {
	if !g.ran.CompareAndSwap(false, true) {
		return ErrAlreadyRun
	}
	var wg sync.WaitGroup
	errs := make([]error, len(g.rs))
	for i, r := range g.rs {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer func() {
				if v := recover(); v != nil {
					errs[i] = fmt.Errorf("reactor: loop %d panicked: %v", i, v)
					g.Stop()
				}
			}()
			if err := r.Run(); err != nil {
				errs[i] = fmt.Errorf("reactor: loop %d: %w", i, err)
				g.Stop()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stop stops every reactor, as Reactor.Stop. Safe for concurrent use.
func (g *Group) Stop() {
	for _, r := range g.rs {
		r.Stop()
	}
}

// Shutdown drains every reactor at once, as Reactor.Shutdown, and returns
// when all have stopped (or ctx ended: the first error). Safe for
// concurrent use.
func (g *Group) Shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(g.rs))
	for i, r := range g.rs {
		wg.Go(func() { errs[i] = r.Shutdown(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Running reports whether any reactor of the group runs.
func (g *Group) Running() bool {
	for _, r := range g.rs {
		if r.Running() {
			return true
		}
	}
	return false
}
