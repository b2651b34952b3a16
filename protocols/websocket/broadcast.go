package websocket

// PreparedMessage is a message encoded once for many connections (the
// broadcast of a chat room, a price tick to every subscriber). A server's
// frames are not masked, so one frame's bytes go to every plain server
// Conn as they are: the reactor hands the same slice to each socket and
// copies only what a slow peer's kernel buffer did not take. Safe for
// concurrent use once made; it must not be modified.
type PreparedMessage struct {
	op      Opcode
	payload []byte
	frame   []byte // the unmasked, uncompressed frame
}

// NewPreparedMessage encodes msg (OpText, which must be UTF-8, or
// OpBinary) once. msg is kept: it must not change afterwards.
func NewPreparedMessage(op Opcode, msg []byte) *PreparedMessage {
	return &PreparedMessage{op: op, payload: msg, frame: AppendFrame(nil, true, op, 0, nil, msg)}
}

// SendPrepared sends m. A server Conn without permessage-deflate writes
// the shared frame; a client Conn (whose frames are masked with a key of
// their own) or a compressing one encodes it for itself. Must be called
// on the reactor goroutine.
func (c *Conn) SendPrepared(m *PreparedMessage) error {
	if c.role == RoleServer && c.pmd == nil {
		if !c.opened || c.sentClose || c.done || c.rc.Closed() {
			return ErrClosed
		}
		c.rc.Write(m.frame)
		return nil
	}
	return c.sendData(m.op, m.payload)
}

// Broadcast sends one message to every Conn of conns, encoded once (see
// PreparedMessage); Conns that are closing are skipped. It returns how
// many Conns it was sent to. Must be called on the reactor goroutine of
// the Conns.
func Broadcast(conns []*Conn, op Opcode, msg []byte) int {
	m := NewPreparedMessage(op, msg)
	n := 0
	for _, c := range conns {
		if c.SendPrepared(m) == nil {
			n++
		}
	}
	return n
}
