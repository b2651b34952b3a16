package redis

// The typed helpers: Do with the reply converted by a Value method
// (AsString, AsInt, ...). A server error is an Error; a null reply is Nil.
// All are loop-only, and their callbacks run on the reactor goroutine.

// DoString is Do with the reply as a string (GET, HGET, INFO, ...).
func (c *Client) DoString(cb func(string, error), args ...any) {
	c.Do(func(v Value, err error) {
		if err != nil {
			cb("", err)
			return
		}
		cb(v.AsString())
	}, args...)
}

// DoInt is Do with the reply as an int64 (INCR, DEL, EXISTS, LLEN, ...).
func (c *Client) DoInt(cb func(int64, error), args ...any) {
	c.Do(func(v Value, err error) {
		if err != nil {
			cb(0, err)
			return
		}
		cb(v.AsInt())
	}, args...)
}

// DoList is Do with the reply as a []string (KEYS, LRANGE, SMEMBERS, ...).
func (c *Client) DoList(cb func([]string, error), args ...any) {
	c.Do(func(v Value, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		cb(v.AsStrings())
	}, args...)
}

// DoMap is Do with the reply as a map[string]string (HGETALL, CONFIG GET,
// ...), from a RESP3 map or a RESP2 array of pairs.
func (c *Client) DoMap(cb func(map[string]string, error), args ...any) {
	c.Do(func(v Value, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		cb(v.AsMap())
	}, args...)
}

// Get is GET key: the value, or Nil if the key does not exist.
func (c *Client) Get(key string, cb func(string, error)) {
	c.DoStrings(func(v Value, err error) {
		if err != nil {
			cb("", err)
			return
		}
		cb(v.AsString())
	}, "GET", key)
}

// Set is SET key value; cb (which may be nil) gets nil for OK.
func (c *Client) Set(key, value string, cb func(error)) {
	c.DoStrings(func(_ Value, err error) {
		if cb != nil {
			cb(err)
		}
	}, "SET", key, value)
}

// Publish is PUBLISH channel message: cb gets how many subscribers
// received it.
func (c *Client) Publish(channel, message string, cb func(int64, error)) {
	c.DoStrings(func(v Value, err error) {
		if cb == nil {
			return
		}
		if err != nil {
			cb(0, err)
			return
		}
		cb(v.AsInt())
	}, "PUBLISH", channel, message)
}
