package ingest

import (
	"context"
	"net/http"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// CorrectionStore reads stored events and appends corrections of them.
type CorrectionStore interface {
	Head(ctx context.Context) (domain.Position, error)
	// EventsWithin reads up to limit events after the position, stopping
	// early, and reporting cut, where their payloads would pass maxBytes.
	EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error)
	// Correct appends what fresh says of stored's body as stored's
	// correction, and the other events of fresh, and returns those it
	// appended.
	Correct(ctx context.Context, stored *domain.Event, fresh []*domain.Event) ([]*domain.Event, error)
}

// Reprocessor re-runs the adapters over stored bodies, so that an adapter
// fixed after a delivery was kept as OTHER translates it after all. A new
// translation is appended as a correction of the stored event, which stays
// as it is: readers paging by cursor see the correction arrive at the head
// of the history (see docs/corrections.md). It is safe for concurrent use;
// running it twice creates no duplicate, as an event already corrected is
// not examined again and one whose translation has not changed is left be.
type Reprocessor struct {
	Store     CorrectionStore
	Adapters  *adapters.Registry
	Publisher Publisher
}

// Reprocess re-translates the stored events that pass filter and that no
// event corrects yet, page by page in stream order, up to the head of the
// history when it starts: the corrections it appends come after it.
func (r *Reprocessor) Reprocess(ctx context.Context, filter *domain.EventFilter) (res domain.ReprocessResult, err error) {
	uncorrected := domain.EventFilter{}
	if filter != nil {
		uncorrected = *filter
	}
	no := false
	uncorrected.Corrected = &no
	filter = &uncorrected
	head, err := r.Store.Head(ctx)
	if err != nil {
		return res, err
	}
	var after domain.Position
	for {
		page, cut, err := r.Store.EventsWithin(ctx, filter, after, reprocessPage, reprocessPageBytes)
		if err != nil {
			return res, err
		}
		for _, stored := range page {
			if head.Less(stored.Position) {
				return res, nil
			}
			after = stored.Position
			res.Examined++
			if err := r.one(ctx, stored, &res); err != nil {
				return res, err
			}
		}
		if len(page) < reprocessPage && !cut {
			return res, nil
		}
	}
}

// reprocessPage and reprocessPageBytes bound one page of stored bodies
// the re-translation reads: its memory stays the same whatever their sizes.
const (
	reprocessPage      = 200
	reprocessPageBytes = 8 << 20
)

func (r *Reprocessor) one(ctx context.Context, stored *domain.Event, res *domain.ReprocessResult) error {
	if stored.PayloadExpired {
		// Payload retention removed the body: there is nothing to
		// translate, and its placeholder must not become a correction.
		res.PayloadExpired++
		return nil
	}
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
	appended, err := r.Store.Correct(ctx, stored, parsed.Events)
	if err != nil {
		return err
	}
	for _, e := range appended {
		if e.Corrects == stored.ID {
			res.Retranslated++
		} else {
			res.Appended++
		}
	}
	if parsed.Events[0].Reason != "" {
		res.StillUntranslated++
	}
	r.Publisher.Publish(appended)
	return nil
}
