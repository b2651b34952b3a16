package loadgen

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/evmachine/evmachine/bench/internal/procfs"
	"github.com/evmachine/evmachine/reactor"
)

const maxErrorSamples = 5

type phase int

const (
	phConnecting phase = iota
	phWarmup
	phMeasuring
	phSettling
	phDone
)

func (p phase) String() string {
	return [...]string{"connecting", "warmup", "measuring", "settling", "done"}[p]
}

// gen is one run's state. Everything in it is touched on the reactor
// goroutine only.
type gen struct {
	cfg  Config
	r    *reactor.Reactor
	tls  *tls.Config // nil: plain TCP
	emit func(Progress)
	base time.Time // monotonic origin of now()

	clients  []*client // Churn: the connection of each slot now
	dialed   int       // clients[:dialed] have been dialled; Churn: every connection ever
	inflight int       // dialled, first reply not yet back
	ready    int
	failed   int

	ph         phase
	phaseStart time.Time
	connStart  time.Time

	hist       *hdrhistogram.Histogram
	total      int64 // every completed round trip, for progress
	lastTotal  int64
	window     int64 // completed inside the measured window
	res        Result
	srvStart   procfs.Sample
	selfStart  procfs.Sample
	sysStart   procfs.SystemCPU
	winStart   time.Time
	stopping   bool
	runErr     error
	progressTk time.Time
}

// Run connects, loads and measures as cfg says, on a new reactor running on
// the calling goroutine, and returns when the run is over. emit, if not nil,
// gets progress on that goroutine. An error means the run could not be
// done at all; failures of connections are counted in the Result.
func Run(cfg Config, emit func(Progress)) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 2 * time.Minute
	}
	if cfg.Progress <= 0 {
		cfg.Progress = time.Second
	}
	if emit == nil {
		emit = func(Progress) {}
	}
	r, err := reactor.New(reactor.WithReadBufferSize(max(64<<10, cfg.Size)))
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	g := &gen{cfg: cfg, r: r, emit: emit, base: time.Now(),
		// 1 µs .. 100 s at 3 significant digits.
		hist: hdrhistogram.New(1, 100_000_000, 3)}
	g.res.Conns = cfg.Conns
	if cfg.TLS != nil {
		if g.tls, err = cfg.TLS.clientConfig(); err != nil {
			return Result{}, err
		}
	}
	r.NextTick(g.start)
	if err := r.Run(); err != nil {
		return Result{}, fmt.Errorf("loadgen: %w", err)
	}
	if g.runErr != nil {
		return g.res, g.runErr
	}
	return g.res, nil
}

// now is the monotonic time since the run began, in nanoseconds.
func (g *gen) now() int64 { return int64(time.Since(g.base)) }

func (g *gen) start() {
	if g.cfg.ServerPID > 0 {
		s, err := procfs.Take(g.cfg.ServerPID)
		if err != nil {
			g.abort(fmt.Errorf("loadgen: reading the server's /proc: %w", err))
			return
		}
		g.res.ServerRSSBase = s.RSS
	}
	g.clients = make([]*client, g.cfg.Conns)
	g.r.AddPeriodicTimer(g.cfg.Progress, g.progress)
	if g.cfg.Churn {
		g.startChurn()
		return
	}
	for i := range g.clients {
		g.clients[i] = newClient(g, i, g.cfg.Size)
	}
	g.enter(phConnecting)
	g.connStart = time.Now()
	g.r.AddTimer(g.cfg.ConnectTimeout, g.connectDeadline)
	g.dialMore()
}

func (g *gen) enter(p phase) {
	g.ph = p
	g.phaseStart = time.Now()
}

// dialMore keeps cfg.Parallel connections in their connect phase.
func (g *gen) dialMore() {
	for g.ph == phConnecting && g.inflight < g.cfg.Parallel && g.dialed < len(g.clients) {
		cl := g.clients[g.dialed]
		g.dialed++
		g.inflight++
		if !g.connect(cl) {
			return
		}
	}
	if g.ph == phConnecting && g.ready+g.failed == len(g.clients) {
		g.allConnected()
	}
}

// connect dials cl (over TLS when configured); false when the run was
// aborted because the address cannot be dialled at all.
func (g *gen) connect(cl *client) bool {
	opts := []reactor.ConnOption{reactor.WithPendingConnectTimeout(g.cfg.ConnectTimeout)}
	if n := len(g.cfg.LocalAddrs); n > 0 {
		opts = append(opts, reactor.WithLocalAddr(g.cfg.LocalAddrs[cl.id%n]))
	}
	if g.tls != nil {
		opts = append(opts, reactor.WithTLS(g.tls), reactor.WithTLSHandshakeTimeout(g.cfg.ConnectTimeout))
	}
	c, err := g.r.Connect("tcp", g.cfg.Addr, cl, opts...)
	if err != nil {
		g.abort(fmt.Errorf("loadgen: connect %s: %w", g.cfg.Addr, err))
		return false
	}
	cl.c = c
	return true
}

// firstReply or connectFailed ends one client's connect phase.
func (g *gen) firstReply() {
	g.inflight--
	g.ready++
	g.dialMore()
}

func (g *gen) connectFailed(err error) {
	g.inflight--
	g.failed++
	g.res.ConnectErrors++
	g.recordError("connect", err)
	g.dialMore()
}

// connectDeadline gives up on the connections still connecting.
func (g *gen) connectDeadline() {
	if g.ph != phConnecting {
		return
	}
	missing := len(g.clients) - g.ready - g.failed
	g.res.ConnectErrors += int64(missing)
	g.recordError("connect", fmt.Errorf("%d connections not served within %v", missing, g.cfg.ConnectTimeout))
	for _, cl := range g.clients[:g.dialed] {
		if !cl.readyDone && cl.c != nil && !cl.dead {
			cl.dead = true
			cl.c.Close()
		}
	}
	g.failed += missing
	g.allConnected()
}

func (g *gen) allConnected() {
	g.res.Connected = g.ready
	g.res.ConnectSeconds = time.Since(g.connStart).Seconds()
	if g.ready == 0 {
		g.abort(fmt.Errorf("loadgen: no connection to %s was served", g.cfg.Addr))
		return
	}
	if g.cfg.Idle {
		g.enter(phSettling)
		g.r.AddTimer(g.cfg.Settle, g.finishIdle)
		return
	}
	g.enter(phWarmup)
	for _, cl := range g.clients {
		if cl.readyDone && !cl.dead {
			cl.send()
		}
	}
	g.r.AddTimer(g.cfg.Warmup, g.beginWindow)
}
