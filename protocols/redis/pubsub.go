package redis

// Message is one pub/sub message.
type Message struct {
	Kind    string // "message", "pmessage" or "smessage"
	Pattern string // the matching pattern, for "pmessage"
	Channel string
	Payload string
}

type subKind uint8

const (
	subChannel subKind = iota
	subPattern
	subShard
)

var subCommands = [...]struct{ sub, unsub string }{
	subChannel: {"SUBSCRIBE", "UNSUBSCRIBE"},
	subPattern: {"PSUBSCRIBE", "PUNSUBSCRIBE"},
	subShard:   {"SSUBSCRIBE", "SUNSUBSCRIBE"},
}

type subKey struct {
	kind subKind
	name string
}

type subscription struct {
	fns     []func(Message)
	waiting []func(error) // done callbacks of subscribes not yet sent
}

// Subscribe subscribes to channel: fn gets each of its messages, in order,
// on the reactor goroutine. done (which may be nil) gets nil once the
// server confirmed, an Error if it refused (the subscription is then
// dropped), or the connection's error if it was lost first (the
// subscription stays and is restored, as every subscription is, after a
// reconnect). Subscribing twice adds a second fn. On RESP3 the
// subscription shares the main connection; on RESP2 it uses a subscriber
// connection of its own. Loop-only.
func (c *Client) Subscribe(channel string, fn func(Message), done func(error)) {
	c.subscribe(subKey{subChannel, channel}, fn, done)
}

// PSubscribe is Subscribe for a glob-style pattern (PSUBSCRIBE). Loop-only.
func (c *Client) PSubscribe(pattern string, fn func(Message), done func(error)) {
	c.subscribe(subKey{subPattern, pattern}, fn, done)
}

// SSubscribe is Subscribe for a shard channel (SSUBSCRIBE, Redis 7).
// Loop-only.
func (c *Client) SSubscribe(channel string, fn func(Message), done func(error)) {
	c.subscribe(subKey{subShard, channel}, fn, done)
}

// Unsubscribe drops every fn of channel and unsubscribes; done (which may
// be nil) gets the server's confirmation. Loop-only.
func (c *Client) Unsubscribe(channel string, done func(error)) {
	c.unsubscribe(subKey{subChannel, channel}, done)
}

// PUnsubscribe is Unsubscribe for a pattern. Loop-only.
func (c *Client) PUnsubscribe(pattern string, done func(error)) {
	c.unsubscribe(subKey{subPattern, pattern}, done)
}

// SUnsubscribe is Unsubscribe for a shard channel. Loop-only.
func (c *Client) SUnsubscribe(channel string, done func(error)) {
	c.unsubscribe(subKey{subShard, channel}, done)
}

// carrier returns the connection subscriptions use, opening the RESP2
// subscriber connection if needed; nil while the protocol is not known.
func (c *Client) carrier() *conn {
	switch c.main.proto {
	case 3:
		return c.main
	case 2:
		if c.ps == nil && !c.main.closed {
			c.ps = c.newConn(rolePubSub, c.main.net, c.main.addr)
			c.ps.connect()
		}
		return c.ps
	}
	return nil
}

func (c *Client) subscribe(k subKey, fn func(Message), done func(error)) {
	s := c.subs[k]
	if s == nil {
		s = &subscription{}
		c.subs[k] = s
	}
	if fn != nil {
		s.fns = append(s.fns, fn)
	}
	if cr := c.carrier(); cr != nil && cr.ready {
		c.sendSub(cr, k, s, []func(error){done})
		return
	}
	if done != nil {
		s.waiting = append(s.waiting, done)
	}
}

// sendSub sends the subscribe command of k; dones get its outcome.
func (c *Client) sendSub(cr *conn, k subKey, s *subscription, dones []func(error)) {
	cmd := AppendStrings(nil, subCommands[k.kind].sub, k.name)
	cr.send(cmd, pending{pubsub: true, cb: func(_ Value, err error) {
		if _, refused := err.(Error); refused && c.subs[k] == s {
			delete(c.subs, k)
		}
		for _, done := range dones {
			if done != nil {
				done(err)
			}
		}
	}})
}

func (c *Client) unsubscribe(k subKey, done func(error)) {
	delete(c.subs, k)
	cr := c.carrier()
	if cr == nil || !cr.ready {
		if done != nil {
			c.main.later(func(Value, error) { done(nil) }, nil)
		}
		return
	}
	cmd := AppendStrings(nil, subCommands[k.kind].unsub, k.name)
	cr.send(cmd, pending{pubsub: true, cb: func(_ Value, err error) {
		if done != nil {
			done(err)
		}
	}})
}

// mainReady runs when the main connection finished a handshake: on RESP3
// it carries the subscriptions; on RESP2 they need the subscriber
// connection.
func (c *Client) mainReady() {
	if c.main.proto == 3 {
		c.resubscribe(c.main)
	} else if len(c.subs) > 0 {
		c.carrier()
	}
}

// resubscribe sends every subscription on cr, which just became ready.
func (c *Client) resubscribe(cr *conn) {
	for k, s := range c.subs {
		dones := s.waiting
		s.waiting = nil
		c.sendSub(cr, k, s, dones)
	}
}

// message delivers a push (or a RESP2 subscriber array) to its
// subscription, or to WithPushHandler.
func (c *Client) message(v Value) {
	e := v.Elems
	var k subKey
	var m Message
	if len(e) >= 3 {
		m.Kind = e[0].Str
		switch m.Kind {
		case "message":
			k, m.Channel, m.Payload = subKey{subChannel, e[1].Str}, e[1].Str, e[2].Str
		case "smessage":
			k, m.Channel, m.Payload = subKey{subShard, e[1].Str}, e[1].Str, e[2].Str
		case "pmessage":
			if len(e) < 4 {
				break
			}
			k, m.Pattern, m.Channel, m.Payload = subKey{subPattern, e[1].Str}, e[1].Str, e[2].Str, e[3].Str
		case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
			return // confirmations nobody waits for (the server unsubscribed us, say)
		}
	}
	if s := c.subs[k]; s != nil && m.Channel != "" {
		for _, fn := range s.fns {
			fn(m)
		}
		return
	}
	if m.Kind != "message" && m.Kind != "smessage" && m.Kind != "pmessage" && c.o.onPush != nil {
		c.o.onPush(v)
	}
}
