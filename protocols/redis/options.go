package redis

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Option configures a Client (Dial).
type Option func(*options)

type options struct {
	user, password string
	db             int
	name           string
	tls            *tls.Config
	protocol       int
	timeout        time.Duration
	healthCheck    time.Duration
	connectTimeout time.Duration
	attempts       int
	minBackoff     time.Duration
	maxBackoff     time.Duration
	offlineQueue   int
	failFast       bool
	blockingPool   int
	limits         Limits
	onEvent        func(Event, error)
	onPush         func(Value)
	log            *slog.Logger
}

func defaultOptions() options {
	return options{
		protocol:       3,
		timeout:        5 * time.Second,
		connectTimeout: 5 * time.Second,
		attempts:       10,
		minBackoff:     100 * time.Millisecond,
		maxBackoff:     5 * time.Second,
		offlineQueue:   10000,
		blockingPool:   8,
		limits:         DefaultLimits,
		log:            slog.Default(),
	}
}

// WithAuth authenticates every connection: HELLO 3 AUTH user password, or
// AUTH on RESP2. An empty user means the default user (AUTH password).
func WithAuth(user, password string) Option {
	return func(o *options) { o.user, o.password = user, password }
}

// WithDB selects database n (SELECT n) on every connection.
func WithDB(n int) Option { return func(o *options) { o.db = n } }

// WithClientName names every connection (CLIENT SETNAME, or HELLO's
// SETNAME).
func WithClientName(name string) Option { return func(o *options) { o.name = name } }

// WithTLS connects with TLS (reactor.WithTLS), verified as cfg says.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithProtocol chooses the protocol: 3 (the default) sends HELLO 3 and
// falls back to RESP2 if the server does not know HELLO; 2 speaks RESP2
// from the start (pub/sub then takes a connection of its own).
func WithProtocol(n int) Option { return func(o *options) { o.protocol = n } }

// WithTimeout bounds how long the oldest unanswered command waits with no
// data arriving from the server: past it the connection is closed, its commands fail with
// ErrTimeout, and the client reconnects. Default 5 s; 0 disables. The
// connections of blocking commands have no such timeout (their commands
// carry their own).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithHealthCheck sends a PING on a connection that has been idle for d
// (nothing waiting, nothing received), as em-hiredis's inactivity check,
// so that a server gone silent is caught by WithTimeout even when the
// client only listens to subscriptions. Default off.
func WithHealthCheck(d time.Duration) Option { return func(o *options) { o.healthCheck = d } }

// WithConnectTimeout bounds a TCP (and TLS) connect. Default 5 s.
func WithConnectTimeout(d time.Duration) Option { return func(o *options) { o.connectTimeout = d } }

// WithReconnect sets how the client reconnects (em-hiredis's state
// machine): after a lost connection or a failed connect it waits minBackoff,
// doubling up to maxBackoff per failure, and gives up (StateFailed) after
// attempts consecutive failures. attempts < 0 never gives up; 0 never
// reconnects. Default: 10 attempts, 100 ms to 5 s.
func WithReconnect(attempts int, minBackoff, maxBackoff time.Duration) Option {
	return func(o *options) {
		o.attempts, o.minBackoff, o.maxBackoff = attempts, minBackoff, max(minBackoff, maxBackoff)
	}
}

// WithOfflineQueue bounds the commands held while the client is not
// connected (first connect, reconnecting); beyond it commands fail with
// ErrQueueFull. Default 10,000.
func WithOfflineQueue(n int) Option { return func(o *options) { o.offlineQueue = n } }

// WithFailFast makes commands issued while the connection is lost (states
// Disconnected and Reconnecting) fail at once with ErrNotConnected instead
// of waiting in the offline queue. The first connect still queues.
func WithFailFast(on bool) Option { return func(o *options) { o.failFast = on } }

// WithBlockingPool sets how many connections blocking commands (BLPOP,
// BRPOP, BLMOVE, XREAD BLOCK, WAIT, ...) may hold at once; more wait for
// one to be free. Default 8.
func WithBlockingPool(n int) Option { return func(o *options) { o.blockingPool = max(n, 1) } }

// WithLimits sets the parser's limits (DefaultLimits otherwise).
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithEventHandler is called on the reactor goroutine at each change of
// the main connection's state, with em-hiredis's events; err is the cause
// (nil for EventConnected and EventReconnected).
func WithEventHandler(fn func(e Event, err error)) Option {
	return func(o *options) { o.onEvent = fn }
}

// WithPushHandler gets the RESP3 push frames that are not pub/sub
// messages or confirmations (client-side caching's invalidate, for
// example), on the reactor goroutine.
func WithPushHandler(fn func(Value)) Option { return func(o *options) { o.onPush = fn } }

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }
