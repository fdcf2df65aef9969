package models

import (
	"context"
	"encoding/json"
	"time"
)

// Revision is one recorded change of an event.
type Revision struct {
	EventID  string
	Revision int64
	// Version is the event's version after the change.
	Version int64
	// Action is create, update, retract or restore.
	Action   string
	Timeline string
	// Event is the event's document after the change; for a retraction,
	// the content retracted.
	Event     EventDoc
	KeyID     string
	Comment   string
	CreatedAt time.Time
}

type revisionRow struct {
	EventID, Action, TimelineID, Content, KeyID, Comment string
	Revision, Version                                    int64
	CreatedAt                                            time.Time
}

func (r revisionRow) revision() (Revision, error) {
	out := Revision{EventID: r.EventID, Revision: r.Revision, Version: r.Version, Action: r.Action, Timeline: r.TimelineID,
		KeyID: r.KeyID, Comment: r.Comment, CreatedAt: r.CreatedAt.UTC()}
	return out, json.Unmarshal([]byte(r.Content), &out.Event)
}

const revisionColumns = "event_id, revision, version, action, timeline_id, content, key_id, comment, created_at"

// FindRevisions returns up to limit revisions of event id, newest first,
// starting below revision before (0 for the newest), and whether more
// follow. Errors: ErrNotFound for an id that has none.
func (s *Store) FindRevisions(ctx context.Context, id string, before int64, limit int) ([]Revision, bool, error) {
	q := "SELECT " + revisionColumns + " FROM event_revisions WHERE event_id = ?"
	args := []any{id}
	if before > 0 {
		q += " AND revision < ?"
		args = append(args, before)
	}
	var rows []revisionRow
	if err := s.db.WithContext(ctx).Raw(q+" ORDER BY revision DESC LIMIT ?", append(args, limit+1)...).Scan(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	if len(rows) == 0 && before == 0 {
		return nil, false, ErrNotFound
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]Revision, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.revision(); err != nil {
			return nil, false, err
		}
	}
	return out, more, nil
}

// FindRevision returns revision n of event id. Errors: ErrNotFound.
func (s *Store) FindRevision(ctx context.Context, id string, n int64) (Revision, error) {
	var rows []revisionRow
	if err := s.db.WithContext(ctx).Raw("SELECT "+revisionColumns+" FROM event_revisions WHERE event_id = ? AND revision = ?", id, n).
		Scan(&rows).Error; err != nil {
		return Revision{}, translate(err)
	}
	if len(rows) == 0 {
		return Revision{}, ErrNotFound
	}
	return rows[0].revision()
}
