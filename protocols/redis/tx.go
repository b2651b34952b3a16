package redis

import "fmt"

// Tx runs cmds as one MULTI/EXEC transaction and calls cb with EXEC's
// replies, one per command (a command that failed inside the transaction
// has a Value of KindError there), or with the error that stopped it: a
// command the server refused to queue (EXEC then fails with EXECABORT,
// and cb gets that command's Error), an encoding error (nothing is sent),
// or the connection's. The commands go out contiguously, so no other
// command of this client slips into the transaction; they all run on the
// main connection, blocking commands included (inside MULTI they do not
// block). WATCH is not offered: its state would be shared by every user of
// the pipelined connection. Loop-only.
func (c *Client) Tx(cb func([]Value, error), cmds ...[]any) {
	buf := AppendStrings(nil, "MULTI")
	for i, cmd := range cmds {
		var err error
		if buf, err = AppendCommand(buf, cmd...); err != nil {
			c.main.later(func(Value, error) { cb(nil, fmt.Errorf("redis: Tx command %d: %w", i, err)) }, nil)
			return
		}
		if name, ok := args0(cmd); ok {
			if err := refused(name); err != nil {
				c.main.later(func(Value, error) { cb(nil, err) }, nil)
				return
			}
		}
	}
	buf = AppendStrings(buf, "EXEC")
	var first error // the first refusal, which EXECABORT follows
	note := func(_ Value, err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	// One send for all: the offline queue, too, takes them as one block.
	ps := make([]pending, 0, len(cmds)+2)
	for range len(cmds) + 1 {
		ps = append(ps, pending{cb: note})
	}
	ps = append(ps, pending{cb: func(v Value, err error) {
		switch {
		case first != nil:
			cb(nil, first)
		case err != nil:
			cb(nil, err)
		case v.IsNull():
			cb(nil, Nil)
		default:
			cb(v.Elems, nil)
		}
	}})
	c.main.sendMany(buf, ps)
}
