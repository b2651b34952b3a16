package redis_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/evmachine/evmachine/protocols/redis"
	"github.com/evmachine/evmachine/reactor"
)

// A counter, a pipelined burst and a subscription, all on the loop.
func Example() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		c, err := redis.Dial(r, "127.0.0.1:6379", redis.WithClientName("example"))
		if err != nil {
			return err // stops the reactor; Run returns it
		}
		c.Subscribe("news", func(m redis.Message) {
			fmt.Println("news:", m.Payload)
			c.Close()
			r.Stop()
		}, nil)
		// These go out in one write; the replies come back in order.
		for range 100 {
			c.DoInt(func(n int64, err error) {
				if err != nil {
					log.Print(err)
				}
			}, "INCR", "hits")
		}
		c.Get("greeting", func(v string, err error) {
			switch {
			case errors.Is(err, redis.Nil):
				v = "(none)"
			case err != nil:
				log.Print(err)
			}
			fmt.Println("greeting:", v)
			c.Publish("news", "hello", nil)
		})
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Another goroutine reaches the client through the reactor.
func ExampleClient_Do_fromAnotherGoroutine() {
	var r *reactor.Reactor // running elsewhere
	var c *redis.Client    // dialled on r's goroutine
	type result struct {
		v   redis.Value
		err error
	}
	done := make(chan result, 1)
	r.NextTick(func() {
		c.Do(func(v redis.Value, err error) { done <- result{v, err} }, "PING")
	})
	res := <-done
	if res.err != nil {
		log.Fatal(res.err)
	}
	fmt.Println(res.v.Str)
}
