package reactor_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

// TestDeferrableResettleInsideCallback ports the idiom of EventMachine's
// set_deferred_status ("you may call this method even on the INSIDE of a
// callback"): a callback that succeeds the Deferrable again changes what
// the later callbacks receive. EventMachine gives [one two three].
func TestDeferrableResettleInsideCallback(t *testing.T) {
	r, _ := asyncStart(t)
	asyncOnLoop(t, r, func() {
		var got []string
		d := reactor.NewDeferrable[string](r)
		d.Callback(func(v string) { got = append(got, v); d.Succeed("two") })
		d.Callback(func(v string) { got = append(got, v); d.Succeed("three") })
		d.Callback(func(v string) { got = append(got, v) })
		d.Succeed("one")
		assert.Equal(t, []string{"one", "two", "three"}, got)
		v, _ := d.Result()
		assert.Equal(t, "three", v)

		// A callback that fails it: the callbacks left are discarded and
		// the errbacks run with the error.
		var log []string
		boom := errors.New("boom")
		e := reactor.NewDeferrable[int](r)
		e.Callback(func(int) { log = append(log, "cb1"); e.Fail(boom) })
		e.Callback(func(int) { log = append(log, "cb2") })
		e.Errback(func(err error) { log = append(log, "eb:"+err.Error()) })
		e.Succeed(1)
		assert.Equal(t, []string{"cb1", "eb:boom"}, log)
		assert.Equal(t, reactor.DeferrableFailed, e.State())

		// Outside its callbacks a settled Deferrable stays settled.
		assert.False(t, d.Succeed("four"))
		assert.False(t, e.Succeed(2))
	})
}

// TestDeferrableTimeoutWithoutArgs ports test_deferrable.rb's
// test_timeout_without_args: timeout(0) fails the Deferrable; the errback
// runs.
func TestDeferrableTimeoutWithoutArgs(t *testing.T) {
	clk := timer.NewFakeClock(time.Unix(0, 0))
	r, _ := asyncStart(t, reactor.WithClock(clk))
	failed := make(chan error, 1)
	asyncOnLoop(t, r, func() {
		reactor.NewDeferrable[int](r).Timeout(0).Errback(func(err error) { failed <- err })
	})
	asyncOnLoop(t, r, func() { clk.Advance(time.Millisecond) })
	select {
	case err := <-failed:
		assert.ErrorIs(t, err, reactor.ErrDeferrableTimeout)
	case <-time.After(asyncWatchdog):
		t.Fatal("Deferrable was not timed out")
	}
}

// TestDeferrableTimeoutWithArgs ports test_timeout_with_args:
// timeout(0, :timeout, :foo) hands its arguments to the errbacks; here the
// reason is the error they get (wrapping ErrDeferrableTimeout too).
func TestDeferrableTimeoutWithArgs(t *testing.T) {
	clk := timer.NewFakeClock(time.Unix(0, 0))
	r, _ := asyncStart(t, reactor.WithClock(clk))
	reason := errors.New("timeout: foo")
	failed := make(chan error, 1)
	asyncOnLoop(t, r, func() {
		reactor.NewDeferrable[int](r).Timeout(0, reason).Errback(func(err error) { failed <- err })
	})
	asyncOnLoop(t, r, func() { clk.Advance(time.Millisecond) })
	select {
	case err := <-failed:
		assert.ErrorIs(t, err, reason, "the errback gets the timeout's reason")
		assert.ErrorIs(t, err, reactor.ErrDeferrableTimeout)
	case <-time.After(asyncWatchdog):
		t.Fatal("Deferrable was not timed out")
	}
}
