package loadgen

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/evmachine/evmachine/reactor"
)

// maxChurnFailures ends a churn run in which this many connections failed
// before any succeeded: the server is not there, and redialling at once
// would only spin.
const maxChurnFailures = 1000

// startChurn fills every slot with a connection and starts the warm-up at
// once: Churn has no connect phase, connecting is what it measures.
func (g *gen) startChurn() {
	g.connStart = time.Now()
	g.enter(phWarmup)
	g.r.AddTimer(g.cfg.Warmup, g.beginWindow)
	for slot := range g.clients {
		if !g.dialSlot(slot) {
			return
		}
	}
}

// dialSlot opens a new connection in slot.
func (g *gen) dialSlot(slot int) bool {
	cl := newClient(g, g.dialed, g.cfg.Size)
	cl.slot, cl.dialAt = slot, g.now()
	g.dialed++
	g.clients[slot] = cl
	return g.connect(cl)
}

// churnDone runs when cl's one round trip came back: count it (its latency
// is its whole life, from the connect), close it with a reset and open the
// next connection in its slot.
func (g *gen) churnDone(cl *client) {
	if g.ph == phMeasuring {
		g.window++
		lat := (g.now() - cl.dialAt) / 1e3 // µs
		if err := g.hist.RecordValue(max(lat, 1)); err != nil {
			g.hist.RecordValue(g.hist.HighestTrackableValue())
		}
	}
	g.total++
	g.ready++
	cl.dead = true
	resetClose(cl.c)
	g.churnNext(cl)
}

// churnFailed counts a connection that failed before its round trip.
func (g *gen) churnFailed(cl *client, err error) {
	g.failed++
	g.res.ConnectErrors++
	g.recordError("connect", err)
	if g.ready == 0 && g.failed >= maxChurnFailures {
		g.abort(fmt.Errorf("loadgen: %d connections to %s failed and none was served", g.failed, g.cfg.Addr))
		return
	}
	g.churnNext(cl)
}

// churnNext replaces cl while the run goes on.
func (g *gen) churnNext(cl *client) {
	if g.ph == phWarmup || g.ph == phMeasuring {
		g.dialSlot(cl.slot)
	}
}

// resetClose closes c with a reset (SO_LINGER 0), so that the thousands of
// connections a churn run makes leave no port in TIME_WAIT.
func resetClose(c *reactor.Conn) {
	if fd := c.Fd(); fd >= 0 {
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	c.Close()
}
