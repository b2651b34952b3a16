package proxy

import (
	"log/slog"
	"time"
)

// Options are the settings Relay, Duplex and Router share. The zero value
// gives the defaults.
type Options struct {
	// Network of the backends: "tcp" (default), "tcp4", "tcp6" or "unix".
	Network string
	// ConnectTimeout bounds a backend connect, name resolution included
	// (default 5 s). A failed connect closes the client and logs one line.
	ConnectTimeout time.Duration
	// IdleTimeout closes a client and its backend after this long without
	// traffic on that connection (default 0: never).
	IdleTimeout time.Duration
	// Buffer is how many bytes may wait for one side before the other side
	// stops reading (default 64 KiB). Memory per session stays near two
	// buffers plus one read, whatever the peers do.
	Buffer int
	// NoSplice moves the bytes with read and write instead of splice(2).
	NoSplice bool
	// Logger gets one line per failed backend connect or route (default
	// slog.Default()).
	Logger *slog.Logger
}

// settings is Options with the defaults filled in.
type settings struct {
	Options
	stats *Stats
	log   *slog.Logger
}

func (o Options) settings() *settings {
	s := &settings{Options: o, stats: new(Stats), log: o.Logger}
	if s.Network == "" {
		s.Network = "tcp"
	}
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = 5 * time.Second
	}
	if s.Buffer <= 0 {
		s.Buffer = 64 << 10
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}
