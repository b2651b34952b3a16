package jobs

import (
	"fmt"
	"time"

	"github.com/evmachine/evmachine/protocols/redis"
)

// Client enqueues jobs from the reactor goroutine, over an evented
// *redis.Client (protocols/redis). Every method is loop-only and every
// callback runs on the loop. A Client holds no connection of its own:
// closing rc is the caller's business.
type Client struct {
	rc  *redis.Client
	now func() time.Time
}

// NewClient makes a Client on rc. Loop-only.
func NewClient(rc *redis.Client) *Client {
	return &Client{rc: rc, now: time.Now}
}

// prepare fills in what Sidekiq's client fills in (jid, queue,
// created_at) and returns the queue's key.
func (c *Client) prepare(j *Job, now float64) error {
	if j.Class == "" {
		return errNoClass
	}
	if j.JID == "" {
		j.JID = newJID()
	}
	if j.Queue == "" {
		j.Queue = "default"
	}
	syncActiveJobQueue(j)
	if j.Retry == nil {
		j.Retry = true
	}
	if j.CreatedAt == 0 {
		j.CreatedAt = now
	}
	return nil
}

// Enqueue pushes j onto its queue now: SADD queues <q> and LPUSH
// queue:<q> <json>, pipelined in one write. It sets j's jid (if empty),
// queue ("default" if empty), created_at (if zero) and enqueued_at; done
// (may be nil) gets the jid. Loop-only.
func (c *Client) Enqueue(j *Job, done func(jid string, err error)) {
	now := epoch(c.now())
	if err := c.prepare(j, now); err != nil {
		c.fail(done, err)
		return
	}
	j.EnqueuedAt = now
	b, err := j.MarshalJSON()
	if err != nil {
		c.fail(done, err)
		return
	}
	push(c.rc, j.Queue, [][]byte{b}, func(err error) {
		if done != nil {
			done(j.JID, err)
		}
	})
}

// push sends SADD queues q and LPUSH queue:q jsons... in one write, and
// calls done with the first error.
func push(rc *redis.Client, q string, jsons [][]byte, done func(error)) {
	var first error
	rc.Do(func(_ redis.Value, err error) {
		if err != nil {
			first = err
		}
	}, "SADD", "queues", q)
	args := make([]any, 0, 2+len(jsons))
	args = append(args, "LPUSH", "queue:"+q)
	for _, b := range jsons {
		args = append(args, b)
	}
	rc.Do(func(_ redis.Value, err error) {
		if first == nil {
			first = err
		}
		if done != nil {
			done(first)
		}
	}, args...)
}

// EnqueueAt schedules j to run at at: ZADD schedule <at> <json>, with
// no enqueued_at (the poller sets it when the job is due). A time not in
// the future enqueues at once, as Sidekiq does. Loop-only.
func (c *Client) EnqueueAt(at time.Time, j *Job, done func(jid string, err error)) {
	now := c.now()
	if !at.After(now) {
		c.Enqueue(j, done)
		return
	}
	if err := c.prepare(j, epoch(now)); err != nil {
		c.fail(done, err)
		return
	}
	j.EnqueuedAt = 0
	b, err := j.MarshalJSON()
	if err != nil {
		c.fail(done, err)
		return
	}
	c.rc.Do(func(_ redis.Value, err error) {
		if done != nil {
			done(j.JID, err)
		}
	}, "ZADD", "schedule", scoreString(at), b)
}

// EnqueueIn is EnqueueAt(now+d). Loop-only.
func (c *Client) EnqueueIn(d time.Duration, j *Job, done func(jid string, err error)) {
	c.EnqueueAt(c.now().Add(d), j, done)
}

// EnqueueBulk pushes many jobs at once, as Sidekiq's push_bulk: one SADD
// and one LPUSH with every job of a queue, for each queue, all in one
// write. done gets the jids in the order of js. Loop-only.
func (c *Client) EnqueueBulk(js []*Job, done func(jids []string, err error)) {
	now := epoch(c.now())
	jids := make([]string, len(js))
	byQueue := map[string][][]byte{}
	var order []string
	for i, j := range js {
		if err := c.prepare(j, now); err != nil {
			c.failBulk(done, fmt.Errorf("jobs: job %d: %w", i, err))
			return
		}
		j.EnqueuedAt = now
		b, err := j.MarshalJSON()
		if err != nil {
			c.failBulk(done, fmt.Errorf("jobs: job %d: %w", i, err))
			return
		}
		jids[i] = j.JID
		if _, ok := byQueue[j.Queue]; !ok {
			order = append(order, j.Queue)
		}
		byQueue[j.Queue] = append(byQueue[j.Queue], b)
	}
	if len(order) == 0 {
		c.failBulk(done, nil)
		return
	}
	left := len(order)
	var first error
	for _, q := range order {
		push(c.rc, q, byQueue[q], func(err error) {
			if first == nil {
				first = err
			}
			if left--; left == 0 && done != nil {
				if first != nil {
					done(nil, first)
					return
				}
				done(jids, nil)
			}
		})
	}
}

// fail reports err to done on a later turn of the loop, never inside the
// call, as the redis client does.
func (c *Client) fail(done func(string, error), err error) {
	c.rc.Reactor().NextTick(func() {
		if done != nil {
			done("", err)
		}
	})
}

func (c *Client) failBulk(done func([]string, error), err error) {
	c.rc.Reactor().NextTick(func() {
		if done != nil {
			done(nil, err)
		}
	})
}

// scoreString formats a sorted-set score as Sidekiq does: float seconds.
func scoreString(t time.Time) string { return FormatFloat(epoch(t)) }
