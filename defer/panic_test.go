package deferpool_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
)

// TestPanicBecomesError runs a panicking operation on a pool of one worker,
// then a normal one: the worker must have survived to run it.
func TestPanicBecomesError(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1))

	results := make(chan result, 2)
	p.Submit(func(context.Context) (any, error) { panicky("boom"); return 1, nil }, l.collect(results))
	p.Submit(func(context.Context) (any, error) { return "after", nil }, l.collect(results))

	r := wait(t, results, "the panicking op's done")
	assert.Nil(t, r.res)
	require.ErrorIs(t, r.err, deferpool.ErrPanic)
	var pe *deferpool.PanicError
	require.ErrorAs(t, r.err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "panicky", "the stack shows where the panic happened")
	assert.Contains(t, r.err.Error(), "deferpool: operation panicked: boom")

	r = wait(t, results, "the next op's done")
	assert.NoError(t, r.err)
	assert.Equal(t, "after", r.res)
	s := p.Stats()
	assert.Equal(t, 1, s.Workers)
	assert.Equal(t, uint64(1), s.Failed)
	assert.Equal(t, uint64(1), s.Completed)
}

//go:noinline
func panicky(v any) { panic(v) }

func TestPanicWithErrorValue(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1))

	results := make(chan result, 2)
	p.Submit(func(context.Context) (any, error) { panic(io.ErrUnexpectedEOF) }, l.collect(results))
	p.Submit(func(context.Context) (any, error) { panic(nil) }, l.collect(results))

	err := wait(t, results, "done").err
	assert.ErrorIs(t, err, deferpool.ErrPanic)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "an error panic value is unwrapped too")

	err = wait(t, results, "done").err
	require.ErrorIs(t, err, deferpool.ErrPanic)
	var pnil *runtime.PanicNilError
	assert.ErrorAs(t, err, &pnil, "panic(nil) is a panic too")
}

// TestGoexitReplacesWorker: runtime.Goexit (t.FailNow in an operation)
// cannot be stopped, so the worker finishes the job as failed and a new
// worker takes its place.
func TestGoexitReplacesWorker(t *testing.T) {
	checkLeaks(t)
	l := newLoop(t)
	p := newPool(t, l, deferpool.WithWorkers(1))

	results := make(chan result, 2)
	p.Submit(func(context.Context) (any, error) { runtime.Goexit(); return nil, nil }, l.collect(results))
	p.Submit(func(context.Context) (any, error) { return "after", nil }, l.collect(results))

	err := wait(t, results, "the Goexit op's done").err
	require.ErrorIs(t, err, deferpool.ErrPanic)
	var pe *deferpool.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Error(), "Goexit")

	r := wait(t, results, "the next op's done")
	assert.NoError(t, r.err)
	assert.Equal(t, "after", r.res)
	require.NoError(t, p.Close(watchdog))
	s := p.Stats()
	assert.Equal(t, uint64(1), s.Failed)
	assert.Equal(t, uint64(1), s.Completed)
	assert.Zero(t, s.Workers)
}

func TestPanicErrorUnwrap(t *testing.T) {
	e := &deferpool.PanicError{Value: 42}
	assert.True(t, errors.Is(e, deferpool.ErrPanic))
	assert.Equal(t, "deferpool: operation panicked: 42", e.Error())
}
