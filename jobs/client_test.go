package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/protocols/redis"
)

func TestEnqueueWireFormat(t *testing.T) {
	e := newEnv(t)
	j, err := NewJob("HardWorker", 1, "two")
	require.NoError(t, err)
	require.NoError(t, j.Set("tags", []string{"a"}))
	jid, err := e.bc.Enqueue(context.Background(), j)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{24}$`, jid)
	assert.Equal(t, []string{"default"}, e.strings("SMEMBERS", "queues"))
	items := e.strings("LRANGE", "queue:default", 0, -1)
	require.Len(t, items, 1)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(items[0]), &m))
	assert.JSONEq(t, `"HardWorker"`, string(m["class"]))
	assert.JSONEq(t, `[1,"two"]`, string(m["args"]))
	assert.JSONEq(t, `true`, string(m["retry"]))
	assert.JSONEq(t, `"default"`, string(m["queue"]))
	assert.JSONEq(t, `["a"]`, string(m["tags"]))
	assert.Equal(t, `"`+jid+`"`, string(m["jid"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["created_at"]))
	assert.Regexp(t, `^\d+\.\d+$`, string(m["enqueued_at"]))

	at := time.Now().Add(time.Hour)
	j2, _ := NewJob("Later")
	_, err = e.bc.EnqueueAt(context.Background(), at, j2)
	require.NoError(t, err)
	sched := e.zrange("schedule")
	require.Len(t, sched, 1)
	assert.NotContains(t, sched[0].json, "enqueued_at")
	assert.InDelta(t, epoch(at), sched[0].score, 0.001)
}

func TestClientOnTheLoop(t *testing.T) {
	e := newEnv(t)
	type res struct {
		jids   []string
		err    error
		inCall bool
	}
	ch := make(chan res, 3)
	e.onLoop(func() {
		rc, err := redis.Dial(e.r, e.srv.Addr)
		require.NoError(t, err)
		c := NewClient(rc)
		calling := true
		c.Enqueue(&Job{}, func(jid string, err error) { ch <- res{[]string{jid}, err, calling} })
		c.Enqueue(&Job{Class: "A", Args: json.RawMessage(`{"x":1}`)}, func(jid string, err error) { ch <- res{[]string{jid}, err, calling} })
		a, _ := NewJob("A")
		b, _ := NewJob("B")
		b.Queue = "other"
		c.EnqueueBulk([]*Job{a, b}, func(jids []string, err error) {
			ch <- res{jids, err, calling}
			rc.Close()
		})
		calling = false
	})
	r1 := wait(t, ch, "the first callback")
	assert.ErrorIs(t, r1.err, errNoClass)
	r2 := wait(t, ch, "the second callback")
	assert.Error(t, r2.err)
	r3 := wait(t, ch, "the bulk callback")
	require.NoError(t, r3.err)
	assert.Len(t, r3.jids, 2)
	for _, r := range []res{r1, r2, r3} {
		assert.False(t, r.inCall)
	}
	assert.ElementsMatch(t, []string{"default", "other"}, e.strings("SMEMBERS", "queues"))
	assert.EqualValues(t, 1, e.int("LLEN", "queue:other"))
	assert.EqualValues(t, 1, e.int("LLEN", "queue:default"))
}

func TestDialBlockingBadAddress(t *testing.T) {
	_, err := DialBlocking("")
	assert.Error(t, err)
}
