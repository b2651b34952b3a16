package reactor

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/evmachine/evmachine/timer"
)

// Option configures a Reactor (for New and Run).
type Option func(*config)

type config struct {
	logger       *slog.Logger
	deferWorkers int
	readBufSize  int
	panicHandler func(v any, stack []byte)
	clock        timer.Clock
	deferCfg     deferConfig // Defer and System options (defer.go)
	tlsLimit     int         // TLS handshakes at once (tls.go)
	loopCheck    bool        // WithLoopCheck (loopcheck.go)

	slowThreshold time.Duration      // WithSlowCallback (slowcb.go)
	slowReport    func(SlowCallback) // nil: the detector is off
}

func defaultConfig() config {
	return config{
		logger:       slog.Default(),
		deferWorkers: 20,
		readBufSize:  64 << 10,
		clock:        timer.RealClock{},
		tlsLimit:     DefaultTLSHandshakeLimit,
		loopCheck:    raceEnabled,
	}
}

// WithLogger sets the logger for the reactor's own messages (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithDeferPoolSize sets the number of Defer workers (default 20, as
// EventMachine's thread pool). Values below 1 are raised to 1.
func WithDeferPoolSize(n int) Option { return func(c *config) { c.deferWorkers = max(n, 1) } }

// WithReadBufferSize sets the size of the one read buffer the loop shares
// among all connections (default 64 KiB, at least 512 bytes).
func WithReadBufferSize(n int) Option { return func(c *config) { c.readBufSize = max(n, 512) } }

// WithPanicHandler replaces the logging of a recovered callback panic: fn
// gets the panic value and the stack. fn may re-panic to crash the program
// (the panic then leaves Run). A Conn whose callback panicked is closed with
// ErrPanic either way.
func WithPanicHandler(fn func(v any, stack []byte)) Option {
	return func(c *config) { c.panicHandler = fn }
}

// WithClock sets the clock timers read (default the real clock). Tests pass
// a *timer.FakeClock and advance it from a NextTick.
func WithClock(clk timer.Clock) Option {
	return func(c *config) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// ConnOption configures each Conn made by Listen or Connect.
type ConnOption func(*connConfig)

type connConfig struct {
	connectTimeout time.Duration
	inactivity     time.Duration
	noDelay        bool
	local          localBind    // WithLocalAddr (bindconnect.go)
	listen         listenConfig // the listening socket's own options (Listen only)
	tls            *tls.Config  // WithTLS (tls.go)
	tlsTimeout     time.Duration
	sock           sockOptions // keepalive, buffers, linger, TOS, Control (sockopt.go)
	resolver       Resolver    // WithResolver (dial.go); nil: net.DefaultResolver
	maxOutbound    int         // WithMaxOutbound (maxoutbound.go)
	stderr         bool        // WithStderr (popen.go)
	broadcast      bool        // WithBroadcast (packet.go)
	packetQueue    int         // WithPacketQueue (packet.go)
}

// listenConfig is what WithBacklog and WithReusePort set: options of a
// listening socket rather than of the Conns it accepts.
type listenConfig struct {
	backlog   int
	reusePort bool
}

func defaultConnConfig() connConfig {
	return connConfig{connectTimeout: 20 * time.Second, noDelay: true, listen: listenConfig{backlog: DefaultBacklog},
		packetQueue: DefaultPacketQueue, tlsTimeout: DefaultTLSHandshakeTimeout, sock: defaultSockOptions()}
}

func applyConnOptions(opts []ConnOption) connConfig {
	cc := defaultConnConfig()
	for _, o := range opts {
		o(&cc)
	}
	return cc
}

// WithPendingConnectTimeout bounds how long an outbound connect, name
// resolution included, may take before the Conn closes with
// ErrConnectTimeout (default 20 s, as EventMachine; 0 disables).
func WithPendingConnectTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.connectTimeout = max(d, 0) }
}

// WithInactivityTimeout closes a Conn with ErrInactivityTimeout after d
// without traffic in either direction (default off; 0 disables).
func WithInactivityTimeout(d time.Duration) ConnOption {
	return func(c *connConfig) { c.inactivity = max(d, 0) }
}

// WithNoDelay sets TCP_NODELAY on TCP connections (default on).
func WithNoDelay(on bool) ConnOption { return func(c *connConfig) { c.noDelay = on } }

// WithBacklog sets the accept queue of a listening socket (default
// DefaultBacklog, 4096; the kernel caps it at net.core.somaxconn). It is a
// Listen option: Connect ignores it. Values below 1 keep the default.
func WithBacklog(n int) ConnOption {
	return func(c *connConfig) {
		if n > 0 {
			c.listen.backlog = n
		}
	}
}

// WithReusePort sets SO_REUSEPORT on a listening TCP socket, so that
// several listeners (one per reactor of a Group, or per process) may bind
// the same address and port; on Linux the kernel spreads the new
// connections over them. It is a Listen option: Connect ignores it, and so
// does a unix socket. ListenPacket takes it too: on Linux the kernel then
// spreads the datagrams over the UDP sockets by sender.
func WithReusePort() ConnOption {
	return func(c *connConfig) { c.listen.reusePort = true }
}
