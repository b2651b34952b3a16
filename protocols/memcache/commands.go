package memcache

// The commands. Each must be called on the reactor goroutine; its callback
// runs there later, never inside the call: with the reply, or with an
// error (a malformed key or an oversized value, refused before sending; a
// closed Client; a lost connection or a timeout). Commands issued in one
// loop iteration go out together (see the package doc for the bounds), and
// replies are matched to them in order.
//
// As in EventMachine's client, a storage, delete, incr, decr, touch or
// flush_all command given a nil callback is sent with "noreply": the
// server answers nothing and nothing waits.

// Get fetches one item. A missing key is ErrCacheMiss.
func (c *Client) Get(key string, cb func(*Item, error)) { c.get("get", key, cb) }

// Gets fetches one item with its CAS unique (Item.CasID), for
// CompareAndSwap. A missing key is ErrCacheMiss.
func (c *Client) Gets(key string, cb func(*Item, error)) { c.get("gets", key, cb) }

// GetMulti fetches many items in one command; the map holds the items
// found, by key (a missing key is simply absent).
func (c *Client) GetMulti(keys []string, cb func(map[string]*Item, error)) {
	c.getMulti("get", keys, cb)
}

// GetsMulti is GetMulti with the items' CAS uniques.
func (c *Client) GetsMulti(keys []string, cb func(map[string]*Item, error)) {
	c.getMulti("gets", keys, cb)
}

// Set stores the item unconditionally.
func (c *Client) Set(item *Item, cb func(error)) { c.store("set", item, cb) }

// Add stores the item only if its key is not there (else ErrNotStored).
func (c *Client) Add(item *Item, cb func(error)) { c.store("add", item, cb) }

// Replace stores the item only if its key is there (else ErrNotStored).
func (c *Client) Replace(item *Item, cb func(error)) { c.store("replace", item, cb) }

// Append adds the item's value after the stored value (else ErrNotStored);
// the item's flags and expiration are ignored by the server.
func (c *Client) Append(item *Item, cb func(error)) { c.store("append", item, cb) }

// Prepend adds the item's value before the stored value (else
// ErrNotStored).
func (c *Client) Prepend(item *Item, cb func(error)) { c.store("prepend", item, cb) }

// CompareAndSwap stores the item only if it was not changed since it was
// read with Gets (item.CasID): ErrCASConflict if it was, ErrCacheMiss if it
// is gone.
func (c *Client) CompareAndSwap(item *Item, cb func(error)) { c.store("cas", item, cb) }

// Delete removes the key; ErrCacheMiss if it was not there (EventMachine's
// delete block gets found == false).
func (c *Client) Delete(key string, cb func(error)) {
	if !validKey(key) {
		c.refuse(op{errCb: cb}, ErrMalformedKey)
		return
	}
	if !c.admit(op{errCb: cb}) {
		return
	}
	c.wbuf = appendKeyCmd(c.wbuf, "delete", key, cb == nil)
	c.queued(op{kind: kindIf(cb != nil, opDelete), errCb: cb})
}

// Increment adds delta to the number stored at key and hands the new
// value; ErrCacheMiss if the key is not there, a *ServerError if its value
// is not a number. The counter wraps at 64 bits.
func (c *Client) Increment(key string, delta uint64, cb func(uint64, error)) {
	c.arith("incr", key, delta, cb)
}

// Decrement subtracts delta from the number stored at key, stopping at 0,
// and hands the new value; errors as Increment.
func (c *Client) Decrement(key string, delta uint64, cb func(uint64, error)) {
	c.arith("decr", key, delta, cb)
}

// Touch sets a new expiration for the key; ErrCacheMiss if it is not
// there.
func (c *Client) Touch(key string, seconds int32, cb func(error)) {
	if !validKey(key) {
		c.refuse(op{errCb: cb}, ErrMalformedKey)
		return
	}
	if !c.admit(op{errCb: cb}) {
		return
	}
	c.wbuf = appendTouch(c.wbuf, key, seconds, cb == nil)
	c.queued(op{kind: kindIf(cb != nil, opTouch), errCb: cb})
}

// FlushAll invalidates every item, after delay seconds if delay > 0.
func (c *Client) FlushAll(delay int32, cb func(error)) {
	if !c.admit(op{errCb: cb}) {
		return
	}
	c.wbuf = appendFlushAll(c.wbuf, delay, cb == nil)
	c.queued(op{kind: kindIf(cb != nil, opFlush), errCb: cb})
}

// Version asks the server's version.
func (c *Client) Version(cb func(string, error)) {
	if cb == nil {
		cb = func(string, error) {}
	}
	o := op{kind: opVersion, strCb: cb}
	if !c.admit(o) {
		return
	}
	c.wbuf = append(c.wbuf, "version\r\n"...)
	c.queued(o)
}

func (c *Client) get(verb, key string, cb func(*Item, error)) {
	if cb == nil {
		cb = func(*Item, error) {}
	}
	o := op{kind: opGet, key: key, itemCb: cb}
	if !validKey(key) {
		c.refuse(o, ErrMalformedKey)
		return
	}
	if !c.admit(o) {
		return
	}
	c.wbuf = append(c.wbuf, verb...)
	c.wbuf = append(c.wbuf, ' ')
	c.wbuf = append(c.wbuf, key...)
	c.wbuf = append(c.wbuf, crlf...)
	c.queued(o)
}

func (c *Client) getMulti(verb string, keys []string, cb func(map[string]*Item, error)) {
	if cb == nil {
		cb = func(map[string]*Item, error) {}
	}
	o := op{kind: opGet, keys: append([]string(nil), keys...), multiCb: cb}
	for _, k := range keys {
		if !validKey(k) {
			c.refuse(o, ErrMalformedKey)
			return
		}
	}
	if len(keys) == 0 {
		c.r.NextTick(func() { cb(map[string]*Item{}, nil) })
		return
	}
	if !c.admit(o) {
		return
	}
	c.wbuf = appendRetrieve(c.wbuf, verb, o.keys)
	c.queued(o)
}

func (c *Client) store(verb string, it *Item, cb func(error)) {
	o := op{kind: kindIf(cb != nil, opStore), errCb: cb}
	switch {
	case !validKey(it.Key):
		c.refuse(o, ErrMalformedKey)
		return
	case len(it.Value) > c.cfg.maxItemSize:
		c.refuse(o, ErrValueTooLarge)
		return
	case !c.admit(o):
		return
	}
	c.wbuf = appendStore(c.wbuf, verb, it.Key, it.Flags, it.Expiration, it.Value, it.CasID, cb == nil)
	c.queued(o)
}

func (c *Client) arith(verb, key string, delta uint64, cb func(uint64, error)) {
	o := op{kind: kindIf(cb != nil, opArith), numCb: cb}
	if !validKey(key) {
		c.refuse(o, ErrMalformedKey)
		return
	}
	if !c.admit(o) {
		return
	}
	c.wbuf = appendKeyUint(c.wbuf, verb, key, delta, cb == nil)
	c.queued(o)
}

// admit reports whether a command may be queued now; if not, its callback
// gets the reason on the next tick.
func (c *Client) admit(o op) bool {
	switch {
	case c.closed:
		c.refuse(o, c.closeErr)
		return false
	case !c.Connected() && c.cmds.len() >= c.cfg.maxQueued:
		err := ErrNotConnected
		if c.lastErr != nil {
			err = wrapNotConnected(c.lastErr)
		}
		c.refuse(o, err)
		return false
	}
	return true
}

// refuse calls o's callback with err on the next tick, so that a
// callback never runs inside the call that issued its command.
func (c *Client) refuse(o op, err error) {
	c.r.NextTick(func() { o.fail(err) })
}

func kindIf(hasCb bool, k opKind) opKind {
	if hasCb {
		return k
	}
	return opNone
}
