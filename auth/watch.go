package auth

import (
	"context"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// ErrClosed is the cause of the watched contexts that Keys.Close ended.
var ErrClosed error = domain.Errorf(domain.EUNAVAILABLE, "the gateway is shutting down")

// keyWatch is the watched sessions of one key, and the goroutine that
// re-reads the key for all of them: one store read per key and interval,
// however many sessions the key has open.
type keyWatch struct {
	sessions map[*session]struct{}
	stopPoll context.CancelFunc
	// polled is closed when the poller has returned.
	polled chan struct{}
}

type session struct {
	cancel context.CancelCauseFunc
}

// Watch returns a context derived from ctx that is cancelled, with cause
// ErrKeyRevoked (see context.Cause), when id's API key is revoked: at once
// when it is revoked through k, within Recheck when it is revoked through
// another Keys, on this replica or another, sharing the store.
//
// The returned stop func cancels the context and releases the watch; when
// the watch's last session of a key leaves, its re-check goroutine ends
// before stop returns. The watch is also released when ctx is done, so a
// session bound to a request's context may drop stop.
//
// The bootstrap admin is never revoked: for it, and for a nil id, Watch
// returns ctx itself and starts nothing.
func (k *Keys) Watch(ctx context.Context, id *domain.Identity) (context.Context, func()) {
	if id == nil || id.KeyID == "" {
		return ctx, func() {}
	}
	keyID := id.KeyID
	wctx, cancel := context.WithCancelCause(ctx)
	s := &session{cancel: cancel}

	k.mu.Lock()
	if k.closed || k.revoked[keyID] {
		cause := ErrKeyRevoked
		if k.closed {
			cause = ErrClosed
		}
		k.mu.Unlock()
		cancel(cause)
		return wctx, func() {}
	}
	w := k.watches[keyID]
	if w == nil {
		w = k.startPoller(keyID)
		k.watches[keyID] = w
	}
	w.sessions[s] = struct{}{}
	k.mu.Unlock()

	// No goroutine waits for ctx: AfterFunc runs leave once it is done.
	release := context.AfterFunc(wctx, func() { k.leave(keyID, s) })
	stop := func() {
		release()
		polled := k.leave(keyID, s)
		cancel(context.Canceled)
		if polled != nil {
			<-polled
		}
	}
	return wctx, stop
}

// leave removes a session from its key's watch, and stops the poller when
// it was the last one, returning the channel closed when the poller has
// returned. It may be called more than once for a session.
func (k *Keys) leave(keyID string, s *session) <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	w := k.watches[keyID]
	if w == nil {
		return nil
	}
	if _, ok := w.sessions[s]; !ok {
		return nil
	}
	delete(w.sessions, s)
	if len(w.sessions) > 0 {
		return nil
	}
	delete(k.watches, keyID)
	w.stopPoll()
	return w.polled
}

// endSessions ends every session watched for a key that is now known to be
// revoked.
func (k *Keys) endSessions(keyID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	// A revoked key is never valid again: remembering it closes the gap
	// between a session's authentication and its Watch.
	k.revoked[keyID] = true
	w := k.watches[keyID]
	if w == nil {
		return
	}
	delete(k.watches, keyID)
	w.stopPoll()
	for s := range w.sessions {
		s.cancel(ErrKeyRevoked)
	}
}

// startPoller starts the goroutine that re-reads a key for its watch. k.mu
// is held.
func (k *Keys) startPoller(keyID string) *keyWatch {
	ctx, stop := context.WithCancel(context.Background())
	w := &keyWatch{sessions: map[*session]struct{}{}, stopPoll: stop, polled: make(chan struct{})}
	interval := k.recheck
	k.pollers.Add(1)
	go func() {
		defer k.pollers.Done()
		defer close(w.polled)
		k.poll(ctx, keyID, interval)
	}()
	return w
}

// poll re-reads a key every interval until ctx is done or the key turns
// out revoked, or deleted.
func (k *Keys) poll(ctx context.Context, keyID string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		key, err := k.store.FindAPIKey(ctx, keyID)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && !key.Revoked():
		case err == nil, domain.ErrorCode(err) == domain.ENOTFOUND:
			k.endSessions(keyID)
			return
		default:
			// A store that cannot answer says nothing about the key: the
			// sessions go on, and the next tick looks again.
			k.logger.Warn("re-check API key", "key", keyID, "err", err)
		}
	}
}

// Close ends every watched session, their contexts cancelled with cause
// ErrClosed, and waits for the re-check goroutines to end. A later Watch
// returns a context already cancelled. Call it before closing the store.
func (k *Keys) Close() {
	k.mu.Lock()
	k.closed = true
	for keyID, w := range k.watches {
		delete(k.watches, keyID)
		w.stopPoll()
		for s := range w.sessions {
			s.cancel(ErrClosed)
		}
	}
	k.mu.Unlock()
	k.pollers.Wait()
}
