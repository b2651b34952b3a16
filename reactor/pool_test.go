package reactor_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
)

// TestPoolEM ports test_pool.rb: more work than resources waits its turn
// (test_supports_more_work_than_resources); a failed work's resource goes
// back without OnError (test_reques_resources_on_error,
// test_contents_when_perform_errors_and_on_error_is_not_set) and goes to
// OnError instead when set (test_supports_custom_on_error,
// test_contents_when_perform_errors_and_on_error_is_set); a resource
// removed while in use is dropped when its work ends
// (test_prunes_locked_and_removed_resources); num_waiting and contents.
func TestPoolEM(t *testing.T) {
	r, _ := asyncStart(t)
	var p *reactor.Pool[string]
	var got []string
	var held []func(error)
	settle := func() { asyncOnLoop(t, r, func() {}); asyncOnLoop(t, r, func() {}) } // the serve ticks run
	asyncOnLoop(t, r, func() {
		p = reactor.NewPool[string](r)
		p.Add("db1")
		p.Add("db2")
		for range 5 {
			p.Perform(func(res string, done func(error)) {
				got = append(got, res)
				held = append(held, done)
			})
		}
	})
	settle()
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []string{"db1", "db2"}, got, "two resources, two works at a time")
		assert.Equal(t, 3, p.NumWaiting())
		held[0](errors.New("failed")) // no OnError: db1 goes back
		held[0](nil)                  // a second done is ignored
		p.Remove("db2")               // in use: dropped when its work ends
		held[1](nil)
		assert.Equal(t, []string{"db1"}, p.Contents())
	})
	settle()
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []string{"db1", "db2", "db1"}, got, "db1 came back; db2 did not")
		held[2](nil)
	})
	settle()
	asyncOnLoop(t, r, func() {
		held[3](nil)
	})
	settle()
	asyncOnLoop(t, r, func() {
		assert.Equal(t, []string{"db1", "db2", "db1", "db1", "db1"}, got, "more work than resources: each in turn")
		assert.Zero(t, p.NumWaiting())
	})
}

// TestPoolOnError: OnError takes a failed resource out of the pool.
func TestPoolOnError(t *testing.T) {
	r, _ := asyncStart(t)
	done := make(chan []string, 1)
	asyncOnLoop(t, r, func() {
		p := reactor.NewPool[string](r)
		p.Add("a")
		var failed []string
		p.OnError(func(res string, err error) { failed = append(failed, res+":"+err.Error()) })
		p.Perform(func(res string, done func(error)) { done(errors.New("broken")) })
		p.Perform(func(res string, done func(error)) { done(nil) }) // never served: "a" is gone
		r.AddTimer(0, func() {
			r.NextTick(func() {
				done <- append(failed, "contents="+strings.Join(p.Contents(), ","), "waiting="+string(rune('0'+p.NumWaiting())))
			})
		})
	})
	assert.Equal(t, []string{"a:broken", "contents=", "waiting=1"}, asyncWait(t, done, "the pool"))
}

// TestIteratorInject ports test_iterator.rb's test_inject: commands run
// through System with concurrency 2, their output folded into a map.
func TestIteratorInject(t *testing.T) {
	r, _ := asyncStart(t)
	list := []string{"pwd", "uname", "date", "true"}
	done := make(chan []string, 1)
	asyncOnLoop(t, r, func() {
		it := reactor.NewIterator(r, list, 2)
		reactor.Inject(it, map[string]string{}, func(m map[string]string, cmd string, next func(map[string]string)) {
			r.System(exec.Command(cmd), func(out []byte, err error) {
				if err == nil {
					m[cmd] = strings.TrimSpace(string(out))
				}
				next(m)
			})
		}, func(m map[string]string) {
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			done <- keys
		})
	})
	want := slices.Clone(list)
	slices.Sort(want)
	assert.Equal(t, want, asyncWait(t, done, "inject"))
}

// TestIteratorConcurrencyIsZero ports test_concurrency_is_0: EventMachine
// raises ArgumentError; evmachine panics with the same message.
func TestIteratorConcurrencyIsZero(t *testing.T) {
	r, _ := asyncStart(t)
	asyncOnLoop(t, r, func() {
		assert.PanicsWithValue(t, "reactor: Iterator concurrency must be at least 1 (EventMachine: concurrency must be bigger than zero)",
			func() { reactor.NewIterator(r, []int{1, 2, 3, 4, 5}, 0) })
	})
}
