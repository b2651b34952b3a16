package proxy

import (
	"sync"

	"github.com/evmachine/evmachine/reactor"
)

// Relay joins every client to its own connection to Backend and moves the
// bytes both ways inside the reactor (zero-copy on Linux). A client's
// half-close reaches the backend after everything it sent, and the
// backend's answer still reaches the client; when both sides have shut
// down, both connections close. A backend that cannot be reached closes
// the client and logs one line. Set the fields before the first Handler
// call and do not change them afterwards.
type Relay struct {
	Backend string // the backend's address, "host:port" (or a path for unix)
	Options

	once sync.Once
	set  *settings
}

// Handler is the newHandler to pass to reactor.Listen: it starts the
// backend connection for client. Must be called on the reactor goroutine
// (Listen does); one Relay may serve several reactors.
func (p *Relay) Handler(client *reactor.Conn) reactor.Handler {
	p.once.Do(func() { p.set = p.Options.settings() })
	return clientSide{&session{set: p.set, addr: p.Backend}}
}

// Stats returns the Relay's counters. Safe for concurrent use.
func (p *Relay) Stats() *Stats {
	p.once.Do(func() { p.set = p.Options.settings() })
	return p.set.stats
}
