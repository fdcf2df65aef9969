package api

import (
	"fmt"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestRateLimiterRefills(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	l := newRateLimiter(2, 3)
	l.now = clock.now
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of a burst of 3: got refused, want allowed", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: got allowed=%t wait=%v, want refused with a wait of at most 1s at 2/s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another client: got refused, want its own bucket")
	}
	clock.t = clock.t.Add(wait)
	if ok, _ := l.allow("a"); !ok {
		t.Error("after the wait it was told: got refused, want allowed")
	}
}

// TestRateLimiterForgetsIdleClients: a client unseen for long enough is
// dropped, and the table never grows past its bound.
func TestRateLimiterForgetsIdleClients(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	l := newRateLimiter(10, 20)
	l.now = clock.now
	for i := range 1000 {
		l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if got := l.size(); got != 1000 {
		t.Fatalf("clients: got %d, want 1000", got)
	}
	clock.t = clock.t.Add(l.idle + time.Second)
	l.allow("192.0.2.1")
	if got := l.size(); got != 1 {
		t.Errorf("clients after all others were idle past %v: got %d, want 1", l.idle, got)
	}

	l.max = 50
	for i := range 10_000 {
		l.allow(fmt.Sprintf("172.16.%d.%d", i/256, i%256))
		if got := l.size(); got > l.max {
			t.Fatalf("clients after %d new ones: got %d, want at most %d", i+1, got, l.max)
		}
	}
}
