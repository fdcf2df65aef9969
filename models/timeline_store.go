package models

import (
	"context"
)

type timelineRow struct {
	ID          string `gorm:"column:id"`
	Title       string `gorm:"column:title"`
	Description string `gorm:"column:description"`
	EventCount  int    `gorm:"column:event_count"`
	StartDate   Date   `gorm:"column:start_date"`
	EndDate     Date   `gorm:"column:end_date"`
}

// timelineQuery reads the timelines with their usage: the count kept by
// migration 0011 (see counts_store.go), the period from one probe each
// of the (timeline_id, start_date, id) and (timeline_id, end_date)
// indexes, so that it costs O(timelines), not O(events).
const timelineQuery = `SELECT t.id AS id, t.title AS title, t.description AS description,
	(COALESCE((SELECT sum(c.n) FROM link_counts c WHERE c.kind = 'timeline' AND c.key = t.id), 0) +
		COALESCE((SELECT sum(d.n) FROM link_count_deltas d WHERE d.kind = 'timeline' AND d.key = t.id), 0)) AS event_count,
	(SELECT min(e.start_date) FROM events e WHERE e.timeline_id = t.id) AS start_date,
	(SELECT max(e.end_date) FROM events e WHERE e.timeline_id = t.id) AS end_date
	FROM timelines t`

// ListTimelines returns every timeline with its sources and event counts,
// in id order.
func (s *Store) ListTimelines(ctx context.Context) ([]Timeline, error) {
	return s.findTimelines(ctx, "")
}

// FindTimelineByID returns one timeline, or ErrNotFound.
func (s *Store) FindTimelineByID(ctx context.Context, id string) (Timeline, error) {
	ts, err := s.findTimelines(ctx, id)
	if err != nil {
		return Timeline{}, err
	}
	if len(ts) == 0 {
		return Timeline{}, ErrNotFound
	}
	return ts[0], nil
}

func (s *Store) findTimelines(ctx context.Context, id string) ([]Timeline, error) {
	db := s.db.WithContext(ctx)
	q, args := timelineQuery, []any{}
	if id != "" {
		q += " WHERE t.id = ?"
		args = append(args, id)
	}
	var rows []timelineRow
	if err := db.Raw(q+" ORDER BY t.id", args...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Timeline, len(rows))
	index := map[string]*Timeline{}
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = Timeline{ID: r.ID, Title: r.Title, Description: r.Description, EventCount: r.EventCount,
			StartDate: r.StartDate, EndDate: r.EndDate, Sources: []Source{}}
		index[r.ID] = &out[i]
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var srcs []struct {
		TimelineID string
		Src        sourceRow `gorm:"embedded"`
	}
	if err := db.Raw(`SELECT ts.timeline_id AS timeline_id, `+sourceColumns+`
		FROM timeline_sources ts JOIN sources s ON s.id = ts.source_id
		WHERE ts.timeline_id IN ? ORDER BY ts.timeline_id, ts.position`, ids).Scan(&srcs).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range srcs {
		t := index[r.TimelineID]
		t.Sources = append(t.Sources, r.Src.source())
	}
	return out, nil
}
