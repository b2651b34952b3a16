package reactor

import "slices"

// Pool is EventMachine's EM::Pool: a set of resources (connections to a
// database, say) handed one at a time to work that needs one. Perform
// queues work; it runs on the reactor goroutine with a free resource,
// first come first served, and gives the resource back with done. A
// resource whose work fails goes back too, unless OnError is set, which
// then takes it out of the pool and is handed it (to replace it, say).
//
// Pool is not safe for concurrent use: all its methods must be called on
// the reactor goroutine.
type Pool[T comparable] struct {
	free     *Queue[T]
	contents []T
	removed  []T
	onError  func(res T, err error)
}

// NewPool returns an empty pool whose work runs on r. Must be called on the
// reactor goroutine (or before Run).
func NewPool[T comparable](r *Reactor) *Pool[T] { return &Pool[T]{free: NewQueue[T](r)} }

// Add puts res in the pool, free for the next work. Must be called on the
// reactor goroutine.
func (p *Pool[T]) Add(res T) {
	p.contents = append(p.contents, res)
	p.free.push([]T{res})
}

// Remove takes res out of the pool: if it is free it is never handed out
// again; if work holds it, it is dropped when that work is done. Must be
// called on the reactor goroutine.
func (p *Pool[T]) Remove(res T) {
	p.contents = slices.DeleteFunc(p.contents, func(x T) bool { return x == res })
	p.removed = append(p.removed, res)
}

// Contents returns the resources in the pool, free or in use.
func (p *Pool[T]) Contents() []T { return slices.Clone(p.contents) }

// NumWaiting returns the work waiting for a resource.
func (p *Pool[T]) NumWaiting() int { return p.free.NumWaiting() }

// OnError sets what happens to a resource whose work failed (done with a
// non-nil error): fn gets it, already out of the pool. Without OnError the
// resource goes back to the pool.
func (p *Pool[T]) OnError(fn func(res T, err error)) { p.onError = fn }

// Perform queues work for the next free resource, as EM::Pool#perform:
// work(res, done) runs on the reactor goroutine, and must call done once
// when it no longer needs res (done(nil): back to the pool; done(err): see
// OnError). Calls of done after the first are ignored.
func (p *Pool[T]) Perform(work func(res T, done func(err error))) {
	p.free.Pop(func(res T) {
		if i := slices.Index(p.removed, res); i >= 0 {
			p.removed = slices.Delete(p.removed, i, i+1)
			p.Perform(work) // a removed resource: wait for another
			return
		}
		finished := false
		work(res, func(err error) {
			if finished {
				return
			}
			finished = true
			p.release(res, err)
		})
	})
}

// release gives res back after its work ended.
func (p *Pool[T]) release(res T, err error) {
	if i := slices.Index(p.removed, res); i >= 0 { // removed while in use
		p.removed = slices.Delete(p.removed, i, i+1)
		return
	}
	if err != nil && p.onError != nil {
		p.contents = slices.DeleteFunc(p.contents, func(x T) bool { return x == res })
		p.onError(res, err)
		return
	}
	p.free.push([]T{res})
}
