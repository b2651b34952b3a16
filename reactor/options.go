package reactor

import (
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
}

func defaultConfig() config {
	return config{
		logger:       slog.Default(),
		deferWorkers: 20,
		readBufSize:  64 << 10,
		clock:        timer.RealClock{},
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
	local          localBind // WithLocalAddr (bindconnect.go)
}

func defaultConnConfig() connConfig {
	return connConfig{connectTimeout: 20 * time.Second, noDelay: true}
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
