package memcache

import (
	"log/slog"
	"time"

	"github.com/evmachine/evmachine/reactor"
)

// Defaults of the Client's options.
const (
	DefaultMaxItemSize    = 1 << 20 // memcached's default item size (-I 1m)
	DefaultTimeout        = time.Second
	DefaultReconnectMin   = 100 * time.Millisecond
	DefaultReconnectMax   = 5 * time.Second
	DefaultMaxQueued      = 10000
	DefaultMaxPipeline    = 32 << 10
	defaultConnectTimeout = 5 * time.Second
)

// Option configures a Client (Dial).
type Option func(*config)

type config struct {
	maxItemSize  int
	timeout      time.Duration
	reconnectMin time.Duration
	reconnectMax time.Duration
	maxQueued    int
	maxPipeline  int
	logger       *slog.Logger
	connOpts     []reactor.ConnOption
}

func newConfig(opts []Option) config {
	cfg := config{
		maxItemSize:  DefaultMaxItemSize,
		timeout:      DefaultTimeout,
		reconnectMin: DefaultReconnectMin,
		reconnectMax: DefaultReconnectMax,
		maxQueued:    DefaultMaxQueued,
		maxPipeline:  DefaultMaxPipeline,
		logger:       slog.Default(),
		connOpts:     []reactor.ConnOption{reactor.WithPendingConnectTimeout(defaultConnectTimeout)},
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// WithMaxItemSize sets the largest value the Client sends or accepts, in
// bytes (default 1 MiB, memcached's default -I). Set it to the server's
// item size. A longer value is refused before it is sent
// (ErrValueTooLarge); a reply announcing a longer one closes the connection
// (ErrReplyTooLarge) before any of it is buffered.
func WithMaxItemSize(n int) Option { return func(c *config) { c.maxItemSize = max(n, 0) } }

// WithTimeout sets how long a command may wait for its reply, counted from
// when it was issued (default 1 s; 0 disables). When the oldest command
// waiting on the connection has waited longer, the connection is closed
// and every command sent on it fails with ErrTimeout; a command still
// queued while disconnected fails with ErrTimeout too. The check runs
// every quarter of d, so a timeout fires between d and 1.25 d.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = max(d, 0) } }

// WithReconnect sets the backoff between connection attempts after the
// connection fails or is lost: min for the first retry, doubling up to
// max (defaults 100 ms and 5 s). min <= 0 disables reconnecting: the
// first lost connection closes the Client.
func WithReconnect(min, max time.Duration) Option {
	return func(c *config) { c.reconnectMin, c.reconnectMax = min, max }
}

// WithMaxQueued bounds the commands that wait for a connection while the
// Client is connecting or reconnecting (default 10,000; EventMachine's
// client queues them until connected). Beyond it, or always with n = 0,
// a command fails at once with ErrNotConnected.
func WithMaxQueued(n int) Option { return func(c *config) { c.maxQueued = max(n, 0) } }

// WithMaxPipelineBytes bounds the bytes of commands sent on the
// connection and not answered yet (default 32 KiB). Commands beyond it wait
// in the Client and go out as replies arrive. Without a bound, a large
// pipeline overruns the server's socket receive queue: on Linux loopback
// the kernel then drops segments and the connection stalls for TCP
// retransmission timeouts. A single command larger than n is sent alone.
func WithMaxPipelineBytes(n int) Option { return func(c *config) { c.maxPipeline = max(n, 1) } }

// WithLogger sets the logger for connection events (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithConnOptions adds reactor connection options to every connection of
// the Client (for example reactor.WithPendingConnectTimeout; the default
// connect timeout is 5 s).
func WithConnOptions(opts ...reactor.ConnOption) Option {
	return func(c *config) { c.connOpts = append(c.connOpts, opts...) }
}
