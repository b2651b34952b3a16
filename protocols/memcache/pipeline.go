package memcache

// command is a command written into wbuf and not sent yet.
type command struct {
	size  int  // its bytes in wbuf
	reply bool // an op waits for its reply (not noreply)
}

// queued records the command just appended to wbuf (everything after
// wmark) and its op, and schedules the flush. o.kind == opNone for a
// noreply command.
func (c *Client) queued(o op) {
	size := len(c.wbuf) - c.wmark
	c.wmark = len(c.wbuf)
	c.cmds.push(command{size: size, reply: o.kind != opNone})
	if o.kind != opNone {
		o.issued, o.size = c.r.Now(), size
		c.ops.push(o)
	}
	if !c.flushWait && c.Connected() {
		c.flushWait = true
		c.r.NextTick(c.flushFn)
	}
}

// flush writes, in one write, the commands issued since the last flush
// that fit in the pipeline's window (WithMaxPipelineBytes): the bytes sent
// and not answered stay under it, so that the server's receive queue is
// never flooded. The rest goes out as replies make room.
//
// While the server has more than twice as many commands to answer as wait
// here, the new ones are held until replies arrive (ReceiveData flushes
// again). The server has work queued all along, and a command's reply comes
// after those of the commands before it anyway; without this, a deep
// pipeline of small replies degenerates into a write and a read for every
// few commands on both sides.
func (c *Client) flush() {
	c.flushWait = false
	h := c.conn
	if h == nil || !h.established || c.cmds.len() == 0 {
		return
	}
	if c.nsent > 2*c.cmds.len() {
		return // the server has plenty to answer: let the batch grow (see below)
	}
	budget := c.cfg.maxPipeline - c.inflight
	n, k, replied := 0, 0, 0
	for k < c.cmds.len() {
		cmd := c.cmds.at(k)
		if n+cmd.size > budget && (n > 0 || c.inflight > 0) {
			break // a command larger than the window goes alone into an empty pipeline
		}
		n += cmd.size
		if cmd.reply {
			replied += cmd.size
			c.nsent++
		}
		k++
	}
	if k == 0 {
		return
	}
	for range k {
		c.cmds.pop()
	}
	c.stats.Writes++
	c.stats.Commands += uint64(k)
	c.inflight += replied
	if c.onFlush != nil {
		c.onFlush(n)
	}
	h.conn.Write(c.wbuf[c.woff : c.woff+n]) // copies what the kernel does not take at once
	c.woff += n
	switch {
	case c.woff == len(c.wbuf) && cap(c.wbuf) > 1<<20:
		c.wbuf, c.woff, c.wmark = nil, 0, 0 // do not keep a large batch's buffer
	case c.woff == len(c.wbuf):
		c.wbuf, c.woff, c.wmark = c.wbuf[:0], 0, 0
	case c.woff > cap(c.wbuf)/2:
		m := copy(c.wbuf, c.wbuf[c.woff:])
		c.wbuf, c.woff, c.wmark = c.wbuf[:m], 0, c.wmark-c.woff
	}
}
