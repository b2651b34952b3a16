package redis

// armTimeout starts the reply timer if there is one to run.
func (c *conn) armTimeout() {
	if c.tmo != nil || c.o.timeout <= 0 || c.role == roleBlocking {
		return
	}
	c.tmo = c.r.AddTimer(c.o.timeout, c.checkTimeout)
}

func (c *conn) stopTimeout() {
	if c.tmo != nil {
		c.tmo.Cancel()
		c.tmo = nil
	}
}

// checkTimeout closes a connection whose oldest command has waited the
// timeout with no reply arriving meanwhile.
func (c *conn) checkTimeout() {
	c.tmo = nil
	if c.pend.len() == 0 || c.rc == nil {
		return
	}
	idle := c.r.Now().Sub(c.progress)
	if idle >= c.o.timeout {
		c.closeWith(ErrTimeout)
		return
	}
	c.tmo = c.r.AddTimer(c.o.timeout-idle, c.checkTimeout)
}

// startHealthCheck pings an idle connection every WithHealthCheck.
func (c *conn) startHealthCheck() {
	if c.o.healthCheck <= 0 || c.health != nil || c.role == roleBlocking {
		return
	}
	c.health = c.r.AddPeriodicTimer(c.o.healthCheck, func() {
		if c.ready && c.pend.len() == 0 && c.r.Now().Sub(c.progress) >= c.o.healthCheck {
			c.push(AppendStrings(nil, "PING"), pending{})
		}
	})
}

func (c *conn) stopHealthCheck() {
	if c.health != nil {
		c.health.Cancel()
		c.health = nil
	}
}
