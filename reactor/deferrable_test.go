package reactor_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/evmachine/evmachine/reactor"
	"github.com/evmachine/evmachine/timer"
)

func TestDeferrableCallbacksBeforeAndAfterSucceed(t *testing.T) {
	r, _ := asyncStart(t)
	asyncOnLoop(t, r, func() {
		var got []string
		d := reactor.NewDeferrable[int](r)
		d.Callback(func(v int) { got = append(got, "cb1:"+strconv.Itoa(v)) })
		d.Errback(func(error) { got = append(got, "eb") })
		d.Callback(func(v int) { got = append(got, "cb2:"+strconv.Itoa(v)) })
		assert.Empty(t, got, "nothing runs while pending")
		assert.Equal(t, reactor.DeferrablePending, d.State())

		assert.True(t, d.Succeed(7))
		assert.Equal(t, []string{"cb1:7", "cb2:7"}, got)

		d.Callback(func(v int) { got = append(got, "late:"+strconv.Itoa(v)) })
		assert.Equal(t, []string{"cb1:7", "cb2:7", "late:7"}, got, "a callback added after success runs at once")
		d.Errback(func(error) { got = append(got, "late-eb") })
		assert.NotContains(t, got, "late-eb")
		assert.NotContains(t, got, "eb")

		assert.False(t, d.Succeed(8), "a second Succeed does nothing")
		assert.False(t, d.Fail(errors.New("late")), "Fail after Succeed does nothing")
		assert.Len(t, got, 3, "no callback ran twice")
		v, err := d.Result()
		assert.Equal(t, 7, v)
		assert.NoError(t, err)
		assert.Equal(t, reactor.DeferrableSucceeded, d.State())
	})
}

func TestDeferrableFailFirstWins(t *testing.T) {
	r, _ := asyncStart(t)
	asyncOnLoop(t, r, func() {
		boom := errors.New("boom")
		var errs []error
		cbs := 0
		d := reactor.NewDeferrable[string](r)
		d.Callback(func(string) { cbs++ })
		d.Errback(func(err error) { errs = append(errs, err) })
		assert.True(t, d.Fail(boom))
		assert.False(t, d.Succeed("late"))
		assert.False(t, d.Fail(errors.New("second")))
		d.Errback(func(err error) { errs = append(errs, err) })
		assert.Equal(t, []error{boom, boom}, errs, "errbacks before and after the failure, once each")
		assert.Zero(t, cbs)
		assert.Equal(t, reactor.DeferrableFailed, d.State())

		d2 := reactor.NewDeferrable[int](r)
		d2.Fail(nil)
		_, err := d2.Result()
		assert.ErrorIs(t, err, reactor.ErrDeferrableFailed)
	})
}

func TestDeferrableCallbackAddedDuringSettleRunsInOrder(t *testing.T) {
	var panics []any
	r, _ := asyncStart(t, reactor.WithPanicHandler(func(v any, _ []byte) { panics = append(panics, v) }))
	asyncOnLoop(t, r, func() {
		var got []int
		d := reactor.NewDeferrable[int](r)
		d.Callback(func(v int) {
			got = append(got, 1)
			d.Callback(func(int) { got = append(got, 3) }) // queued behind 2, not run recursively
		})
		d.Callback(func(int) { panic("second callback") })
		d.Callback(func(int) { got = append(got, 2) })
		d.Succeed(0)
		assert.Equal(t, []int{1, 2, 3}, got, "a panicking callback does not stop the others")
		assert.Equal(t, []any{"second callback"}, panics)
	})
}

func TestDeferrableTimeout(t *testing.T) {
	clk := timer.NewFakeClock(time.Unix(1_000_000, 0))
	r, _ := asyncStart(t, reactor.WithClock(clk))

	var timedOut, settled, cancelled *reactor.Deferrable[int]
	var timeoutErr error
	asyncOnLoop(t, r, func() {
		timedOut = reactor.NewDeferrable[int](r).Timeout(5 * time.Second)
		timedOut.Errback(func(err error) { timeoutErr = err })
		settled = reactor.NewDeferrable[int](r).Timeout(5 * time.Second)
		cancelled = reactor.NewDeferrable[int](r).Timeout(5 * time.Second)
		assert.True(t, cancelled.CancelTimeout())
		assert.False(t, cancelled.CancelTimeout(), "nothing left to cancel")
	})
	asyncOnLoop(t, r, func() {
		clk.Advance(4 * time.Second)
		assert.True(t, settled.Succeed(1), "settled before the deadline")
	})
	asyncOnLoop(t, r, func() { clk.Advance(2 * time.Second) }) // past the deadline
	asyncOnLoop(t, r, func() {                                 // the timer phase has run
		assert.Equal(t, reactor.DeferrableFailed, timedOut.State())
		assert.Error(t, timeoutErr)
		assert.ErrorIs(t, timeoutErr, reactor.ErrDeferrableTimeout)
		assert.Equal(t, reactor.DeferrableSucceeded, settled.State(), "a settled deferrable ignores its old timeout")
		assert.Equal(t, reactor.DeferrablePending, cancelled.State(), "a cancelled timeout never fires")
		assert.False(t, timedOut.Succeed(2), "the timeout settled it")
	})
}

func TestDeferrableTimeoutReplaced(t *testing.T) {
	clk := timer.NewFakeClock(time.Unix(1_000_000, 0))
	r, _ := asyncStart(t, reactor.WithClock(clk))
	var d *reactor.Deferrable[int]
	asyncOnLoop(t, r, func() {
		d = reactor.NewDeferrable[int](r).Timeout(time.Second)
		d.Timeout(10 * time.Second) // replaces the first
	})
	asyncOnLoop(t, r, func() { clk.Advance(2 * time.Second) })
	asyncOnLoop(t, r, func() {
		assert.Equal(t, reactor.DeferrablePending, d.State())
		clk.Advance(9 * time.Second)
	})
	asyncOnLoop(t, r, func() { assert.Equal(t, reactor.DeferrableFailed, d.State()) })
}
