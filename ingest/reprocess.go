package ingest

import (
	"context"
	"net/http"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// RetranslateStore reads stored events and replaces their translation.
type RetranslateStore interface {
	Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error)
	Retranslate(ctx context.Context, stored *domain.Event, fresh []*domain.Event) ([]*domain.Event, error)
}

// Reprocessor re-runs the adapters over stored bodies, so that an adapter
// fixed after a delivery was kept as OTHER translates it after all. It is
// safe for concurrent use; running it twice creates no duplicate.
type Reprocessor struct {
	Store     RetranslateStore
	Adapters  *adapters.Registry
	Publisher Publisher
	// Changed, if set, is called after a run that re-translated stored
	// events in place, such as to drop copies of them kept in memory.
	Changed func()
}

// Reprocess re-translates the stored events that pass filter, page by page
// in stream order.
func (r *Reprocessor) Reprocess(ctx context.Context, filter *domain.EventFilter) (res domain.ReprocessResult, err error) {
	defer func() {
		if res.Retranslated > 0 && r.Changed != nil {
			r.Changed()
		}
	}()
	var after domain.Position
	for {
		page, err := r.Store.Events(ctx, filter, after, 200)
		if err != nil {
			return res, err
		}
		for _, stored := range page {
			after = stored.Position
			res.Examined++
			if err := r.one(ctx, stored, &res); err != nil {
				return res, err
			}
		}
		if len(page) < 200 {
			return res, nil
		}
	}
}

func (r *Reprocessor) one(ctx context.Context, stored *domain.Event, res *domain.ReprocessResult) error {
	adapter, err := r.Adapters.Lookup(stored.Provider)
	if err != nil {
		return err
	}
	parsed, err := adapter.Parse(&adapters.Request{Header: http.Header{}, Body: stored.Payload, ReceivedAt: stored.ReceivedAt})
	if err != nil || len(parsed.Events) == 0 {
		// The body was accepted once; an adapter that now refuses it or
		// makes nothing of it leaves the stored event as it is.
		res.StillUntranslated++
		return nil
	}
	appended, err := r.Store.Retranslate(ctx, stored, parsed.Events)
	if err != nil {
		return err
	}
	res.Retranslated++
	res.Appended += len(appended)
	if parsed.Events[0].Reason != "" {
		res.StillUntranslated++
	}
	r.Publisher.Publish(appended)
	return nil
}
