package broker

import (
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

var one = []*domain.Event{{ID: "e"}}

func TestPublishWakesEverySubscriberWithoutBlocking(t *testing.T) {
	b := New()
	slow, fast := b.Subscribe(), b.Subscribe()
	done := make(chan struct{})
	go func() {
		for range 1000 { // nobody reads slow: Publish must still return
			b.Publish(one)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	for _, s := range []*Subscription{slow, fast} {
		select {
		case <-s.C():
		default:
			t.Fatal("a subscriber was not woken")
		}
	}
}

func TestPublishOfNothingWakesNobody(t *testing.T) {
	b := New()
	s := b.Subscribe()
	b.Publish(nil)
	select {
	case <-s.C():
		t.Fatal("woken by an empty publish")
	default:
	}
}

func TestCloseClosesSubscriptions(t *testing.T) {
	b := New()
	s := b.Subscribe()
	s.Close()
	s.Close() // idempotent
	if _, ok := <-s.C(); ok {
		t.Fatal("closed subscription still open")
	}
	s2 := b.Subscribe()
	b.Close()
	if _, ok := <-s2.C(); ok {
		t.Fatal("broker close left a subscription open")
	}
	s3 := b.Subscribe()
	if _, ok := <-s3.C(); ok {
		t.Fatal("subscription on a closed broker is open")
	}
	b.Publish(one) // no panic after close
}
