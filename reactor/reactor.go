package reactor

import (
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/evmachine/evmachine/internal/mailbox"
	"github.com/evmachine/evmachine/reactor/internal/poller"
	"github.com/evmachine/evmachine/timer"
)

// Reactor is one event loop. Create it with New, set it up (Listen,
// Connect, AddTimer, ...) and call Run; or use the package-level Run.
// Its methods must be called on the reactor goroutine (the one in Run, or
// before Run starts, the one that created it), except NextTick, Stop,
// Shutdown and Running, which are safe for concurrent use.
type Reactor struct {
	cfg     config
	log     *slog.Logger
	poller  *poller.Poller
	timers  *timer.Queue
	now     time.Time // cached at the start of each iteration's timer and dispatch phases
	base    time.Time // origin of nowNs
	nowNs   int64     // now as nanoseconds since base: the cheap stamp Conns keep
	iter    uint64    // completed polls: the batch an event belongs to
	readBuf []byte
	pkts    *packetBatch // datagrams read, with their senders; made by the first ListenPacket (packet_linux.go)

	fds       fdTable             // the owner of every registered fd (fdtable.go)
	resolving map[*Conn]*dialRace // outbound Conns resolving a host name (nil) or racing its addresses (dial.go); no fd yet
	closing   []*Conn             // marked closed this iteration, swept at its end
	lingering int                 // fds of Conns closed after writing, swallowing input (linger.go)
	nconns    int

	// The one way in from other goroutines (ticks.go).
	ticks       *mailbox.Box[func()]
	sleeping    atomic.Bool
	wakePending atomic.Bool

	stopReq  atomic.Bool
	running  atomic.Bool
	ran      bool
	draining bool          // Shutdown in progress: stop when the last Conn is gone
	stopped  chan struct{} // closed when Run returns
	loopGID  atomic.Uint64
	loopID   uint64 // loopIdentity() of the loop while Run runs, for WithLoopCheck (loopcheck.go)
	// inCallbacks is true while the loop may be running callbacks: all the
	// time Run runs except the poller's wait (Shutdown's onLoop).
	inCallbacks atomic.Bool

	stats loopStats  // Stats (stats.go)
	slow  *slowState // WithSlowCallback; nil when off (slowcb.go)

	onStop        []func() // run once when the loop stops, after every Conn is gone
	shutdownHooks []func() // AddShutdownHook: run first when the loop stops, last added first

	deferred deferState // Defer and System: pool, completions (defer.go)

	pipes *pipePool // splice pipes for ProxyTo, created on first use (proxy_pipes.go)

	files  fileWatchState       // WatchFile's shared state (filewatch_linux.go)
	popens map[*Conn]*popenProc // Popen Conns until their Unbind (popen.go)

	// TLS handshakes (tls_handshake.go).
	tlsActive int         // handshakes running
	tlsQueue  []*tlsStage // waiting for a slot, oldest first
	tlsBuf    []byte      // decrypted records, one at a time
	tlsOut    []byte      // records of one Write, collected for one socket write
}

// New creates a reactor. Nothing runs until Run.
func New(opts ...Option) (*Reactor, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	p, err := poller.New()
	if err != nil {
		return nil, fmt.Errorf("reactor: %w", err)
	}
	r := &Reactor{
		cfg:       cfg,
		log:       cfg.logger,
		poller:    p,
		timers:    timer.NewQueue(cfg.clock),
		readBuf:   make([]byte, cfg.readBufSize),
		resolving: make(map[*Conn]*dialRace),
		stopped:   make(chan struct{}),
	}
	r.ticks = mailbox.New[func()](r.wakeLoop)
	if cfg.slowReport != nil {
		r.slow = &slowState{threshold: cfg.slowThreshold, report: cfg.slowReport, base: time.Now()}
	}
	r.initDeferred()
	r.base = cfg.clock.Now()
	r.setNow()
	r.timers.Call = r.safeCall
	return r, nil
}

// Setup is the block Run runs first: a func(*Reactor), or a
// func(*Reactor) error whose error stops the reactor.
type Setup interface {
	func(r *Reactor) | func(r *Reactor) error
}

// Run creates a reactor, calls setup on the reactor goroutine inside the
// first iteration (as EM.run runs its block) and runs the loop until Stop.
// A setup that returns an error (a Listen on a port in use, say) stops the
// reactor at once, and Run returns that error once everything setup opened
// is closed.
func Run[S Setup](setup S, opts ...Option) error {
	r, err := New(opts...)
	if err != nil {
		return err
	}
	var setupErr error
	switch fn := any(setup).(type) {
	case func(*Reactor):
		if fn != nil {
			r.NextTick(func() { fn(r) })
		}
	case func(*Reactor) error:
		if fn != nil {
			r.NextTick(func() {
				if setupErr = fn(r); setupErr != nil {
					r.Stop()
				}
			})
		}
	}
	if err := r.Run(); err != nil {
		return err
	}
	return setupErr // set on this goroutine: Run ran the loop here
}

// Run runs the loop on the calling goroutine until Stop or the end of a
// Shutdown, then returns nil; it returns an error only if the poller fails.
// A panic in a callback never leaves Run unless a WithPanicHandler re-panics.
// A Reactor runs once.
func (r *Reactor) Run() error {
	if r.ran {
		return ErrAlreadyRun
	}
	r.ran = true
	r.loopGID.Store(goid())
	if r.cfg.loopCheck {
		if lockForCheck {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		r.loopID = loopIdentity()
	}
	r.inCallbacks.Store(true)
	defer r.inCallbacks.Store(false)
	r.running.Store(true)
	defer close(r.stopped)
	defer r.running.Store(false)
	r.stats.busyStart = time.Now()
	if r.slow != nil {
		watchDone := make(chan struct{})
		defer close(watchDone)
		go r.watchSlow(watchDone)
	}
	var err error
	for err == nil && !r.stopReq.Load() {
		err = r.runOnce()
	}
	r.teardown()
	if err != nil {
		return fmt.Errorf("reactor: %w", err)
	}
	return nil
}

// runOnce is one loop iteration (EventMachine's _RunOnce); doc.go lists
// the same phases. (The next-tick queue is "the ticks": an iteration is
// not one.)
func (r *Reactor) runOnce() error {
	r.setNow()
	r.timers.Run(r.now)     // 1. due timers
	r.runTicks()            // 2. the next-tick queue as it stood
	events, err := r.wait() // 3. wait for I/O
	if err != nil {
		return err
	}
	r.iter++
	r.setNow()
	r.dispatch(events) // 4. accepts, reads, writes
	r.sweep()          // 5. unregister, close and Unbind what closed
	r.publishStats(len(events))
	if r.tlsActive > 0 {
		// TLS handshakes run on goroutines that the loop feeds. A loop that
		// always has events never sleeps, so with one P (GOMAXPROCS=1, a
		// server pinned to one core) they would wait for the scheduler to
		// preempt it, up to 10 ms a turn: let them run once an iteration.
		runtime.Gosched()
	}
	if r.drained() { // 6. a Shutdown with nothing left to wait for stops the loop
		r.stopReq.Store(true)
	}
	return nil
}

func (r *Reactor) setNow() {
	r.now = r.cfg.clock.Now()
	r.nowNs = int64(r.now.Sub(r.base))
}

// wait polls with the one timeout computation of the loop: 0 when ticks are
// queued or a stop is pending, else until the earliest timer (from the
// clock's current time, rounded up by the poller), else forever.
func (r *Reactor) wait() ([]poller.Event, error) {
	timeout := time.Duration(-1)
	r.sleeping.Store(true)
	switch {
	case r.ticks.Len() > 0 || r.stopReq.Load() || len(r.closing) > 0 || r.drained():
		timeout = 0
	default:
		if next, ok := r.timers.Next(); ok {
			timeout = max(next.Sub(r.cfg.clock.Now()), 0)
		}
	}
	r.inCallbacks.Store(false)
	s := &r.stats
	s.waitStart = time.Now()
	s.busyNs.Add(int64(s.waitStart.Sub(s.busyStart)))
	events, err := r.poller.Wait(timeout)
	s.busyStart = time.Now()
	s.waitNs.Add(int64(s.busyStart.Sub(s.waitStart)))
	r.inCallbacks.Store(true)
	r.sleeping.Store(false)
	return events, err
}

// Stop ends the loop, as EM.stop: the current iteration completes, then
// every listener closes, every Conn closes with ErrStopped (queued output
// is dropped; Unbind runs for each), timers are cancelled and Run returns.
// Defer operations still running have their context cancelled, and Run
// waits for them up to the defer close grace (WithDeferCloseGrace, default
// 5 s): an operation that ignores its context holds Run that long, and is
// then logged by its function's name and left behind (its result is
// dropped). Safe for concurrent use; calling it again, or on a stopped
// reactor, does nothing.
func (r *Reactor) Stop() {
	if r.stopReq.CompareAndSwap(false, true) {
		r.wake()
	}
}

// Running reports whether Run is running the loop. Safe for concurrent use.
func (r *Reactor) Running() bool { return r.running.Load() }

// Now returns the loop's cached clock: the time the current iteration's
// timer or dispatch phase started. Must be called on the reactor goroutine.
func (r *Reactor) Now() time.Time { return r.now }

// ConnectionCount returns the number of Conns not yet unbound, as
// EM.connection_count. Must be called on the reactor goroutine.
func (r *Reactor) ConnectionCount() int { return r.nconns }

// AddTimer calls fn once, d from now, on the reactor goroutine, as
// EM.add_timer. Cancel it with the returned Timer's Cancel. Must be called on
// the reactor goroutine.
func (r *Reactor) AddTimer(d time.Duration, fn func()) *timer.Timer {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.AddTimer")
	}
	return r.timers.Add(d, fn)
}

// AddPeriodicTimer calls fn every d on the reactor goroutine, as
// EM.add_periodic_timer, without drift: each deadline is the previous one
// plus d; a loop that fell behind fires it once, not once per missed
// interval. Must be called on the reactor goroutine.
func (r *Reactor) AddPeriodicTimer(d time.Duration, fn func()) *timer.Timer {
	if r.cfg.loopCheck {
		r.checkLoop("Reactor.AddPeriodicTimer")
	}
	return r.timers.AddPeriodic(d, fn)
}

// teardown closes everything after the loop's last iteration.
func (r *Reactor) teardown() {
	r.runShutdownHooks()
	r.fds.each(func(o fdOwner) {
		switch o := o.(type) {
		case *Listener:
			o.closeNow()
		case *Conn:
			o.closeWith(ErrStopped)
		case *Watch:
			o.end(ErrStopped) // the fd stays open: it is the caller's
		case *ProcessWatch:
			o.end(ErrStopped)
		case *fileNotifier:
			o.stopAll(ErrStopped)
		case *PacketConn:
			o.stop(ErrStopped)
		}
	})
	r.sweep()
	for c := range r.resolving { // Conns still resolving a host name
		c.closeWith(ErrStopped)
	}
	r.sweep()
	r.reapChildren() // popen.go: Popen children killed and reaped, their Unbinds
	r.closeLingering()
	r.timers.Clear()
	for i := 0; i < len(r.onStop); i++ { // hooks added meanwhile run too
		r.safeCall(r.onStop[i])
	}
	if err := r.closeTicks(); err != nil {
		r.log.Warn("reactor: closing poller", "err", err)
	}
}
