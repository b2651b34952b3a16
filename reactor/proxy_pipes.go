package reactor

import (
	"time"

	"golang.org/x/sys/unix"
)

// pipe is a kernel pipe that carries spliced bytes from a proxy's source to
// its target. It is taken from the pool for one move and goes back as soon
// as it is empty; a pipe whose bytes the target's socket has not taken
// stays with the target (proxyState.pipe) until they are written.
type pipe struct {
	r, w int // read and write ends
	n    int // bytes inside
	size int // capacity
}

const (
	pipeIdleMax  = 16       // idle pipes kept per reactor (two fds each)
	pipeInUseMax = 1024     // pipes holding bytes at once, at most
	pipeSize     = 1 << 20  // asked of F_SETPIPE_SZ (as Go's own splice); the default is 64 KiB
	pipeMinSize  = 64 << 10 // smaller pipes (a user over pipe-user-pages-soft) are not worth a splice
	pipeRetry    = time.Second
)

// pipePool hands out pipes for one reactor. It never blocks and never
// fails a proxy: when no pipe can be had (too many in use, or pipe2 failed
// within the last second, e.g. out of file descriptors), get returns nil
// and the proxy copies instead.
type pipePool struct {
	idle   []*pipe
	inUse  int
	max    int
	retry  int64 // r.nowNs before which pipe2 is not tried again
	closed bool
}

// pipePool returns the reactor's pool, creating it on first use; the loop
// closes its idle pipes when it stops.
func (r *Reactor) pipePool() *pipePool {
	if r.pipes == nil {
		r.pipes = &pipePool{max: pipeLimit()}
		r.onStop = append(r.onStop, r.pipes.close)
	}
	return r.pipes
}

// pipeLimit keeps pipes to a sixteenth of the file descriptors the process
// may open, and at most pipeInUseMax.
func pipeLimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return pipeInUseMax
	}
	return int(max(min(rl.Cur/16, pipeInUseMax), 2))
}

// get returns an empty pipe, or nil.
func (pp *pipePool) get(now int64) *pipe {
	if pp.closed || pp.inUse >= pp.max {
		return nil
	}
	if n := len(pp.idle); n > 0 {
		p := pp.idle[n-1]
		pp.idle[n-1] = nil
		pp.idle = pp.idle[:n-1]
		pp.inUse++
		return p
	}
	if now < pp.retry {
		return nil
	}
	p, err := newPipe()
	if err != nil {
		pp.retry = now + int64(pipeRetry)
		return nil
	}
	pp.inUse++
	return p
}

// put takes a pipe back; one that still holds bytes is closed.
func (pp *pipePool) put(p *pipe) {
	pp.inUse--
	if p.n != 0 || pp.closed || len(pp.idle) >= pipeIdleMax {
		closePipe(p)
		return
	}
	pp.idle = append(pp.idle, p)
}

func (pp *pipePool) close() {
	pp.closed = true
	for _, p := range pp.idle {
		closePipe(p)
	}
	pp.idle = nil
}

func closePipe(p *pipe) {
	closeFd(p.r)
	closeFd(p.w)
	p.r, p.w, p.n = -1, -1, 0
}
