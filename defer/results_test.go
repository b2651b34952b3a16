package deferpool_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	deferpool "github.com/evmachine/evmachine/defer"
)

// manualLoop keeps what was posted until the test runs it, so that the
// test decides when the owner's goroutine (the test's own) runs a drain.
type manualLoop struct {
	mu  sync.Mutex
	fns []func()
}

func (m *manualLoop) post(fn func()) {
	m.mu.Lock()
	m.fns = append(m.fns, fn)
	m.mu.Unlock()
}

func (m *manualLoop) take() []func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	fns := m.fns
	m.fns = nil
	return fns
}

// finished submits n quick operations whose done append their result to
// got, waits until the pool has completed total operations (these and any
// submitted before), and closes the pool, which waits for the workers to
// hand their last results over.
func finished(t *testing.T, p *deferpool.Pool, n, total int, got *[]any) {
	for i := range n {
		p.Submit(func(context.Context) (any, error) { return i, nil },
			func(res any, _ error) { *got = append(*got, res) })
	}
	require.Eventually(t, func() bool {
		return p.Stats().Completed == uint64(total)
	}, watchdog, time.Millisecond)
	require.NoError(t, p.Close(watchdog))
	require.Zero(t, p.Stats().Rejected)
}

func TestCompletionsAreBatched(t *testing.T) {
	checkLeaks(t)
	var m manualLoop
	p := deferpool.New(m.post, deferpool.WithWorkers(1))
	var got []any
	finished(t, p, 3, 3, &got)

	fns := m.take()
	require.Len(t, fns, 1, "one post for results that wait together")
	fns[0]()
	assert.Equal(t, []any{0, 1, 2}, got, "one worker: results in submission order")
	assert.Empty(t, m.take())
}

// TestPanicInDoneKeepsTheRest: a done that panics must not lose the other
// results of its batch; they come in a new drain.
func TestPanicInDoneKeepsTheRest(t *testing.T) {
	checkLeaks(t)
	var m manualLoop
	p := deferpool.New(m.post, deferpool.WithWorkers(1))
	var got []any
	p.Submit(func(context.Context) (any, error) { return "first", nil },
		func(any, error) { panic("done panicked") })
	finished(t, p, 2, 3, &got)

	fns := m.take()
	require.Len(t, fns, 1)
	assert.PanicsWithValue(t, "done panicked", fns[0], "the panic reaches the owner")
	assert.Empty(t, got)
	fns = m.take()
	require.Len(t, fns, 1, "the rest was posted again")
	fns[0]()
	assert.Equal(t, []any{0, 1}, got)
}

func TestDetachDropsWaitingResults(t *testing.T) {
	checkLeaks(t)
	var m manualLoop
	p := deferpool.New(m.post, deferpool.WithWorkers(2))
	var got []any
	finished(t, p, 5, 5, &got)

	p.Detach()
	assert.Equal(t, uint64(5), p.Stats().Dropped)
	for _, fn := range m.take() {
		fn() // a drain posted before Detach finds nothing
	}
	assert.Empty(t, got)
	p.Detach() // idempotent
	assert.Equal(t, uint64(5), p.Stats().Dropped)
}
