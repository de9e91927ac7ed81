package auth

import "time"

// WatchedSessions returns how many sessions each watched key has: a key
// is present while its re-check goroutine runs.
func (k *Keys) WatchedSessions() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]int{}
	for id, w := range k.watches {
		out[id] = len(w.sessions)
	}
	return out
}

// WaitPollers waits until every re-check goroutine has returned, and
// reports false when some are still running after the timeout.
func (k *Keys) WaitPollers(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		k.pollers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
