package main

import (
	"fmt"
	"io"
	"net"
	"time"
)

// sink accepts connections and reads each to EOF, reporting how many
// bytes it got and when the last one arrived.
type sink struct {
	ln   net.Listener
	done chan sinkResult
}

type sinkResult struct {
	n   int64
	end time.Time
}

func newSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, done: make(chan sinkResult, 1)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 256<<10)
				var n int64
				for {
					m, err := c.Read(buf)
					n += int64(m)
					if err != nil {
						if err != io.EOF {
							fmt.Println("sink:", err)
						}
						s.done <- sinkResult{n, time.Now()}
						return
					}
				}
			}()
		}
	}()
	return s, nil
}

// bulk sends total bytes in 64 KiB writes over one connection to target
// and returns MB/s (10^6 bytes) from the first write until the sink has
// the last byte.
func bulk(target string, s *sink, total int64) (float64, error) {
	c, err := net.Dial("tcp", target)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	start := time.Now()
	for sent := int64(0); sent < total; {
		n, err := c.Write(buf[:min(int64(len(buf)), total-sent)])
		if err != nil {
			return 0, err
		}
		sent += int64(n)
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case res := <-s.done:
		if res.n != total {
			return 0, fmt.Errorf("sink got %d of %d bytes", res.n, total)
		}
		return float64(total) / res.end.Sub(start).Seconds() / 1e6, nil
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("bulk transfer did not finish")
	}
}
