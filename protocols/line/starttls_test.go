package line

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/internal/nettest"
	"github.com/evmachine/evmachine/reactor"
)

// smtpLike is a line protocol with SMTP's STARTTLS: plaintext commands,
// then TLS on the same connection, then commands through TLS.
func smtpLike(t *testing.T, srvCfg *tls.Config) func(h **Handler) Receiver {
	return func(h **Handler) Receiver {
		return ReceiverFunc(func(c *reactor.Conn, line []byte) {
			_, secure := c.TLSState()
			switch cmd := string(line); {
			case cmd == "STARTTLS":
				c.Write([]byte("220 ready to start TLS\r\n"))
				require.NoError(t, (*h).StartTLS(srvCfg))
			default:
				c.Write([]byte("250 " + cmd + map[bool]string{true: " (tls)", false: ""}[secure] + "\r\n"))
			}
		})
	}
}

// The SMTP pattern: EHLO in plaintext, STARTTLS, the reply, the client's
// handshake, then commands through TLS; once with a client that waits for
// the reply before its ClientHello, once with one that pipelines the
// ClientHello behind the command (its first bytes come in the same read as
// the STARTTLS line and are handed to the handshake).
func TestStartTLSMidSession(t *testing.T) {
	pki := nettest.NewPKI(t)
	srvCfg := pki.ServerConfig(t, false)
	cliCfg := pki.ClientConfig()
	cliCfg.ServerName = nettest.TLSHost
	addr := listenLines(t, smtpLike(t, srvCfg))
	for _, pipelined := range []bool{false, true} {
		t.Run(map[bool]string{false: "waits for 220", true: "pipelines the ClientHello"}[pipelined], func(t *testing.T) {
			raw, br := dial(t, addr)
			_, err := raw.Write([]byte("EHLO client\r\n"))
			require.NoError(t, err)
			assert.Equal(t, "250 EHLO client\r\n", readLine(t, br))
			var c *tls.Conn
			if pipelined {
				// "STARTTLS\r\n" and the ClientHello in one write; the
				// plaintext 220 is skipped before the handshake reads.
				c = tls.Client(&prefixConn{Conn: raw, prefix: []byte("STARTTLS\r\n")}, cliCfg)
				require.NoError(t, c.Handshake())
			} else {
				_, err = raw.Write([]byte("STARTTLS\r\n"))
				require.NoError(t, err)
				assert.Equal(t, "220 ready to start TLS\r\n", readLine(t, br))
				c = tls.Client(raw, cliCfg)
				require.NoError(t, c.Handshake())
			}
			tr := bufio.NewReader(c)
			for _, cmd := range []string{"MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>"} {
				_, err := c.Write([]byte(cmd + "\r\n"))
				require.NoError(t, err)
				assert.Equal(t, "250 "+cmd+" (tls)\r\n", readLine(t, tr))
			}
			c.Close()
		})
	}
}

func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	s, err := br.ReadString('\n')
	require.NoError(t, err)
	return s
}

// prefixConn sends prefix in front of its first write, in one write, and
// drops the first line it reads (the 220 reply, for a client that did not
// wait for it).
type prefixConn struct {
	net.Conn
	prefix   []byte
	skipLine bool
}

func (p *prefixConn) Write(b []byte) (int, error) {
	if p.prefix != nil {
		_, err := p.Conn.Write(append(p.prefix, b...))
		p.prefix, p.skipLine = nil, true
		return len(b), err
	}
	return p.Conn.Write(b)
}

func (p *prefixConn) Read(b []byte) (int, error) {
	for p.skipLine {
		one := make([]byte, 1)
		if _, err := p.Conn.Read(one); err != nil {
			return 0, err
		}
		if one[0] == '\n' {
			p.skipLine = false
		}
	}
	return p.Conn.Read(b)
}
