package redis

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPubSubThousandInOrder: 1,000 messages published from the same
// client arrive in order, on RESP3 (push frames on the shared connection)
// and RESP2 (a subscriber connection), for channels, patterns and shard
// channels.
func TestPubSubThousandInOrder(t *testing.T) {
	s := startServer(t)
	for _, proto := range []int{3, 2} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			r := startReactor(t)
			c := dial(t, r, s.Addr, WithProtocol(proto))
			const n = 1000
			type got struct {
				kind string
				msgs []Message
			}
			done := make(chan got, 3)
			subscribed := make(chan error, 3)
			collect := func(kind string) func(Message) {
				var msgs []Message
				return func(m Message) {
					msgs = append(msgs, m)
					if len(msgs) == n {
						done <- got{kind, msgs}
					}
				}
			}
			ch := "chan" + strconv.Itoa(proto)
			onLoop(t, r, func() {
				c.Subscribe(ch, collect("message"), func(err error) { subscribed <- err })
				c.PSubscribe(ch+"*", collect("pmessage"), func(err error) { subscribed <- err })
				c.SSubscribe(ch, collect("smessage"), func(err error) { subscribed <- err })
			})
			for range 3 {
				require.NoError(t, wait(t, subscribed, "subscribe"))
			}
			// Ordinary commands still work on the same client meanwhile.
			v, err := do(t, r, c, "PING")
			require.NoError(t, err)
			assert.Equal(t, "PONG", v.Str)
			onLoop(t, r, func() {
				for i := range n {
					c.Publish(ch, strconv.Itoa(i), nil)
					c.Do(nil, "SPUBLISH", ch, strconv.Itoa(i))
				}
			})
			for range 3 {
				g := wait(t, done, "messages")
				for i, m := range g.msgs {
					require.Equal(t, strconv.Itoa(i), m.Payload, "%s %d", g.kind, i)
					require.Equal(t, g.kind, m.Kind)
					require.Equal(t, ch, m.Channel)
				}
				if g.kind == "pmessage" {
					assert.Equal(t, ch+"*", g.msgs[0].Pattern)
				}
			}
			// Unsubscribed: PUBLISH reaches only the pattern now.
			unsub := make(chan error, 1)
			onLoop(t, r, func() { c.Unsubscribe(ch, func(err error) { unsub <- err }) })
			require.NoError(t, wait(t, unsub, "unsubscribe"))
			v, err = do(t, r, c, "PUBLISH", ch, "x")
			require.NoError(t, err)
			assert.Equal(t, int64(1), v.Int)
		})
	}
}

func TestSubscribeBeforeConnected(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	got := make(chan Message, 1)
	subscribed := make(chan error, 1)
	var c *Client
	onLoop(t, r, func() {
		var err error
		c, err = Dial(r, s.Addr)
		require.NoError(t, err)
		c.Subscribe("early", func(m Message) { got <- m }, func(err error) { subscribed <- err })
	})
	t.Cleanup(func() { r.NextTick(c.Close) })
	require.NoError(t, wait(t, subscribed, "subscribe"))
	_, err := do(t, r, c, "PUBLISH", "early", "bird")
	require.NoError(t, err)
	assert.Equal(t, "bird", wait(t, got, "message").Payload)
}

// TestPushHandler: a RESP3 push that is not pub/sub (client-side
// caching's invalidate) reaches WithPushHandler, and the pipeline stays in
// step around it.
func TestPushHandler(t *testing.T) {
	s := startServer(t)
	r := startReactor(t)
	pushes := make(chan Value, 4)
	c := dial(t, r, s.Addr, WithPushHandler(func(v Value) { pushes <- v }))
	other := dial(t, r, s.Addr)
	_, err := do(t, r, c, "CLIENT", "TRACKING", "on")
	require.NoError(t, err)
	_, err = do(t, r, c, "GET", "cached")
	require.NoError(t, err)
	_, err = do(t, r, other, "SET", "cached", "new")
	require.NoError(t, err)
	v := wait(t, pushes, "invalidate push")
	require.Equal(t, KindPush, v.Kind)
	require.Len(t, v.Elems, 2)
	assert.Equal(t, "invalidate", v.Elems[0].Str)
	keys, err := v.Elems[1].AsStrings()
	require.NoError(t, err)
	assert.Equal(t, []string{"cached"}, keys)
	v, err = do(t, r, c, "GET", "cached")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Str)
}
