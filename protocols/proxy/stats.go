package proxy

import "sync/atomic"

// Stats counts what the proxies sharing it did. The counters are atomics:
// the reactor goroutine adds, any goroutine may read. The zero value is
// ready; share one Stats between proxies to add them up.
type Stats struct {
	accepted               atomic.Uint64
	active                 atomic.Int64
	toBackend              atomic.Uint64
	toClient               atomic.Uint64
	stagingBytes           atomic.Uint64
	stagingDropped         atomic.Uint64
	stagingCutoffs         atomic.Uint64
	connectFailures        atomic.Uint64
	stagingConnectFailures atomic.Uint64
	routeFailures          atomic.Uint64
}

// Snapshot is a copy of the counters at one moment.
type Snapshot struct {
	Accepted        uint64 // client connections accepted
	Active          int64  // client connections open now
	BytesToBackend  uint64 // client bytes handed to a connected (production) backend; none for one that never connects
	BytesToClient   uint64 // backend bytes handed to clients
	ConnectFailures uint64 // backend connects that failed (refused, timed out, unresolvable)
	RouteFailures   uint64 // Router connections closed without a route

	StagingBytes           uint64 // client bytes copied to staging
	StagingDroppedBytes    uint64 // client bytes not copied to staging (slow, dead or refusing)
	StagingCutoffs         uint64 // staging copies cut off for falling behind StagingBuffer
	StagingConnectFailures uint64 // staging connects that failed
}

// Snapshot reads every counter. Safe for concurrent use; the counters are
// read one by one, so a snapshot taken under traffic is not one instant.
func (s *Stats) Snapshot() Snapshot {
	return Snapshot{
		Accepted:               s.accepted.Load(),
		Active:                 s.active.Load(),
		BytesToBackend:         s.toBackend.Load(),
		BytesToClient:          s.toClient.Load(),
		ConnectFailures:        s.connectFailures.Load(),
		RouteFailures:          s.routeFailures.Load(),
		StagingBytes:           s.stagingBytes.Load(),
		StagingDroppedBytes:    s.stagingDropped.Load(),
		StagingCutoffs:         s.stagingCutoffs.Load(),
		StagingConnectFailures: s.stagingConnectFailures.Load(),
	}
}
