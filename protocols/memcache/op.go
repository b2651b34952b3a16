package memcache

import (
	"fmt"
	"time"
)

// opKind is the reply family a command waits for.
type opKind uint8

const (
	opNone    opKind = iota // noreply: nothing waits
	opGet                   // VALUE... END
	opStore                 // STORED, NOT_STORED, EXISTS, NOT_FOUND
	opDelete                // DELETED, NOT_FOUND
	opArith                 // a number, NOT_FOUND
	opTouch                 // TOUCHED, NOT_FOUND
	opFlush                 // OK
	opVersion               // VERSION
)

// op is a command waiting for its reply: which replies it accepts and the
// callback that gets the result. Exactly one of the callbacks is set.
type op struct {
	kind    opKind
	key     string   // opGet of one key
	keys    []string // opGet of many keys (GetMulti), nil for one
	errCb   func(error)
	itemCb  func(*Item, error)
	multiCb func(map[string]*Item, error)
	numCb   func(uint64, error)
	strCb   func(string, error)
	item    *Item            // opGet of one key: the value received
	items   map[string]*Item // opGet of many keys: the values received
	index   map[string]int   // opGet of many keys, more than a few: keys' positions
	issued  time.Time
	size    int // the command's bytes, for the pipeline's window
}

// fail calls the op's callback with err.
func (o *op) fail(err error) {
	switch {
	case o.errCb != nil:
		o.errCb(err)
	case o.itemCb != nil:
		o.itemCb(nil, err)
	case o.multiCb != nil:
		o.multiCb(nil, err)
	case o.numCb != nil:
		o.numCb(0, err)
	case o.strCb != nil:
		o.strCb("", err)
	}
}

// dispatch hands a reply to the command at the head of the queue. A VALUE
// adds to a get's result; any other reply completes the command, which is
// removed from the queue before its callback runs. An error means the
// reply does not fit the command: the connection must close.
func (c *Client) dispatch(rep *Reply) error {
	if c.nsent == 0 {
		return fmt.Errorf("%w: %s with no command waiting", ErrProtocol, rep.Kind)
	}
	o := c.ops.at(0)
	if rep.Kind == ReplyValue {
		if o.kind != opGet {
			return fmt.Errorf("%w: VALUE in reply to a command other than get", ErrProtocol)
		}
		return o.addValue(rep)
	}
	var serr error
	switch rep.Kind {
	case ReplyError:
		serr = &ServerError{Kind: "ERROR", Message: string(rep.Text)}
	case ReplyClientError:
		serr = &ServerError{Kind: "CLIENT_ERROR", Message: string(rep.Text)}
	case ReplyServerError:
		serr = &ServerError{Kind: "SERVER_ERROR", Message: string(rep.Text)}
	}
	if serr == nil && !o.accepts(rep.Kind) {
		return fmt.Errorf("%w: %s in reply to a command that does not answer it", ErrProtocol, rep.Kind)
	}
	done := c.ops.pop()
	c.nsent--
	c.inflight -= done.size
	if serr != nil {
		done.fail(serr)
		return nil
	}
	done.complete(rep)
	return nil
}

// accepts reports whether k is a final reply of the op's command.
func (o *op) accepts(k ReplyKind) bool {
	switch o.kind {
	case opGet:
		return k == ReplyEnd
	case opStore:
		return k == ReplyStored || k == ReplyNotStored || k == ReplyExists || k == ReplyNotFound
	case opDelete:
		return k == ReplyDeleted || k == ReplyNotFound
	case opArith:
		return k == ReplyNumber || k == ReplyNotFound
	case opTouch:
		return k == ReplyTouched || k == ReplyNotFound
	case opFlush:
		return k == ReplyOK
	case opVersion:
		return k == ReplyVersion
	}
	return false
}

// addValue keeps a VALUE of a get, whose key must be one asked for. The
// value is copied: rep aliases the read buffer.
func (o *op) addValue(rep *Reply) error {
	it := &Item{Flags: rep.Flags, CasID: rep.CAS, Value: make([]byte, len(rep.Bytes))}
	copy(it.Value, rep.Bytes)
	if o.keys == nil {
		if string(rep.Key) != o.key || o.item != nil {
			return fmt.Errorf("%w: VALUE for a key not asked for", ErrProtocol)
		}
		it.Key, o.item = o.key, it
		return nil
	}
	k, ok := o.wanted(rep.Key)
	if !ok {
		return fmt.Errorf("%w: VALUE for a key not asked for", ErrProtocol)
	}
	if o.items == nil {
		o.items = make(map[string]*Item, len(o.keys))
	}
	it.Key = k
	o.items[k] = it
	return nil
}

// wanted finds key among the keys of a GetMulti.
func (o *op) wanted(key []byte) (string, bool) {
	if len(o.keys) > 16 {
		if o.index == nil {
			o.index = make(map[string]int, len(o.keys))
			for i, k := range o.keys {
				o.index[k] = i
			}
		}
		i, ok := o.index[string(key)]
		if !ok {
			return "", false
		}
		return o.keys[i], true
	}
	for _, k := range o.keys {
		if k == string(key) {
			return k, true
		}
	}
	return "", false
}

// complete runs the op's callback for its final reply.
func (o *op) complete(rep *Reply) {
	switch o.kind {
	case opGet:
		if o.keys == nil {
			if o.item == nil {
				o.itemCb(nil, ErrCacheMiss)
			} else {
				o.itemCb(o.item, nil)
			}
			return
		}
		if o.items == nil {
			o.items = map[string]*Item{}
		}
		o.multiCb(o.items, nil)
	case opArith:
		if rep.Kind == ReplyNotFound {
			o.numCb(0, ErrCacheMiss)
		} else {
			o.numCb(rep.Number, nil)
		}
	case opVersion:
		o.strCb(string(rep.Text), nil)
	default:
		o.errCb(replyErr(rep.Kind))
	}
}

// replyErr is the error of a storage, delete, touch or flush reply.
func replyErr(k ReplyKind) error {
	switch k {
	case ReplyNotStored:
		return ErrNotStored
	case ReplyExists:
		return ErrCASConflict
	case ReplyNotFound:
		return ErrCacheMiss
	}
	return nil
}
