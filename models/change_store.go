package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// The change feed: every create, update, retraction and restoration of an
// event, timeline, actor, place or source, recorded in the transaction that
// makes it (see migration 0010 for why positions follow commit order).

// Change kinds, the resources the feed reports on.
const (
	KindEvent    = "event"
	KindTimeline = "timeline"
	KindActor    = "actor"
	KindPlace    = "place"
	KindSource   = "source"
)

// ChangeKinds lists the kinds a feed may be filtered by.
var ChangeKinds = []string{KindEvent, KindTimeline, KindActor, KindPlace, KindSource}

// Change is one entry of the feed.
type Change struct {
	// Position and Seq place the change in the feed: ordered by Position
	// (the dataset version its transaction committed), then Seq.
	Position, Seq int64
	Kind          string
	ID            string
	// Timeline is the event's timeline, the timeline's own id, or "".
	Timeline string
	// Action is create, update, retract or restore.
	Action string
	// Revision is the event's revision number, or a record's version.
	Revision int64
	// Version is the resource's version after the change.
	Version int64
	// Content is the resource's write document after the change; nil for a
	// retraction.
	Content   json.RawMessage
	KeyID     string
	CreatedAt time.Time
}

// FeedToken is where a reader of the feed stands: after the change at
// (Position, Seq). The zero token is the beginning.
type FeedToken struct {
	Position, Seq int64
}

// After reports whether c comes after t.
func (t FeedToken) After(c Change) bool {
	return c.Position > t.Position || (c.Position == t.Position && c.Seq > t.Seq)
}

// ChangeFilter selects changes of the feed.
type ChangeFilter struct {
	Since FeedToken
	// Timeline, when set, keeps the changes of that timeline and of its
	// events.
	Timeline string
	// Kinds, when not empty, keeps changes of those kinds.
	Kinds []string
	Limit int
}

type changeRow struct {
	Seq, Position, Revision, Version int64
	Kind, ResourceID, TimelineID     string
	Action, KeyID                    string
	Content                          *string
	CreatedAt                        time.Time
}

const changeColumns = "seq, position, kind, resource_id, timeline_id, action, revision, version, content, key_id, created_at"

// FindChanges returns up to f.Limit committed changes after f.Since, in feed
// order, and whether more follow.
func (s *Store) FindChanges(ctx context.Context, f ChangeFilter) ([]Change, bool, error) {
	q := "SELECT " + changeColumns + " FROM changes WHERE position > 0 AND (position > ? OR (position = ? AND seq > ?))"
	args := []any{f.Since.Position, f.Since.Position, f.Since.Seq}
	if f.Timeline != "" {
		q += " AND timeline_id = ?"
		args = append(args, f.Timeline)
	}
	if len(f.Kinds) > 0 {
		q += " AND kind IN ?"
		args = append(args, f.Kinds)
	}
	var rows []changeRow
	if err := s.db.WithContext(ctx).Raw(q+" ORDER BY position, seq LIMIT ?", append(args, f.Limit+1)...).
		Scan(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > f.Limit
	if more {
		rows = rows[:f.Limit]
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = r.change()
	}
	return out, more, nil
}

// recordEventChange records a change of an event, numbered like the
// revision just recorded for it; a retraction is a tombstone.
func (s *Store) recordEventChange(ctx context.Context, id, timeline, action string, version int64, content []byte,
	keyID string, now time.Time) error {
	var body any
	if action != "retract" {
		body = string(content)
	}
	return s.db.WithContext(ctx).Exec(`INSERT INTO changes
		(kind, resource_id, timeline_id, action, revision, version, content, key_id, created_at)
		SELECT ?, ?, ?, ?, COALESCE(MAX(revision), 0), ?, ?, ?, ? FROM event_revisions WHERE event_id = ?`,
		KindEvent, id, timeline, action, version, body, keyID, now, id).Error
}

// recordRecordChange records the create or update of a timeline, actor,
// place or source that upsert has just written to table.
func (s *Store) recordRecordChange(ctx context.Context, table, id string, result SaveResult, record any, now time.Time) error {
	var version int64
	db := s.db.WithContext(ctx)
	if err := db.Raw("SELECT version FROM "+recordTable(table)+" WHERE id = ?", id).Scan(&version).Error; err != nil {
		return err
	}
	content, err := json.Marshal(recordDoc(record))
	if err != nil {
		return err
	}
	kind := strings.TrimSuffix(table, "s")
	timeline := ""
	if kind == KindTimeline {
		timeline = id
	}
	action := "update"
	if result == Created {
		action = "create"
	}
	if err := db.Exec(`INSERT INTO changes (kind, resource_id, timeline_id, action, revision, version, content, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, kind, id, timeline, action, version, version, string(content), now).Error; err != nil {
		return err
	}
	// upsert has taken the dataset lock already (bumpVersion), so the
	// position can be given now: the seed loader's records are saved
	// outside writeTx.
	return s.assignChanges(ctx)
}

// recordTimelineDeletion records the removal of a timeline as a tombstone.
func (s *Store) recordTimelineDeletion(ctx context.Context, id string, version int64, now time.Time) error {
	return s.db.WithContext(ctx).Exec(`INSERT INTO changes (kind, resource_id, timeline_id, action, revision, version, created_at)
		VALUES (?, ?, ?, 'retract', ?, ?, ?)`, KindTimeline, id, id, version, version, now).Error
}

// assignChanges gives the transaction's pending changes their position: the
// dataset version, which the transaction has bumped and holds locked until
// it commits. Other transactions' pending rows are invisible to it.
func (s *Store) assignChanges(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	res := db.Exec("UPDATE changes SET position = (SELECT version FROM dataset_state WHERE id = 1) WHERE position = 0")
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if s.dialect == DialectPostgres {
		// Delivered at commit, to every instance listening.
		return db.Exec("SELECT pg_notify(?, '')", changeChannel).Error
	}
	return nil
}

// recordDoc is the write document of a record, as the API's PATCH reads it.
func recordDoc(record any) any {
	switch r := record.(type) {
	case Source:
		return map[string]any{"id": r.ID, "title": r.Title, "author": r.Author,
			"author_affiliations": emptyIfNil(r.AuthorAffiliations), "publisher": r.Publisher, "issue": r.Issue,
			"published_date": r.Published.String(), "url": r.URL, "note": r.Note, "outside_fields": emptyIfNil(r.OutsideFields)}
	case Actor:
		return map[string]any{"id": r.ID, "name": r.Name, "kind": r.Kind, "aliases": emptyIfNil(r.Aliases)}
	case Place:
		return map[string]any{"id": r.ID, "name": r.Name, "kind": r.Kind, "country": r.Country, "aliases": emptyIfNil(r.Aliases)}
	case timelineRecord:
		return map[string]any{"id": r.ID, "title": r.Title, "description": r.Description, "sources": emptyIfNil(r.Sources)}
	}
	return record
}

// timelineRecord is what SaveTimeline fingerprints and the feed carries.
type timelineRecord = struct {
	ID, Title, Description string
	Sources                []string
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// FindRecentChanges returns the newest committed changes of kind in
// timeline, newest first, at most limit.
func (s *Store) FindRecentChanges(ctx context.Context, timeline, kind string, limit int) ([]Change, error) {
	var rows []changeRow
	if err := s.db.WithContext(ctx).Raw("SELECT "+changeColumns+" FROM changes WHERE position > 0 AND timeline_id = ? AND kind = ?"+
		" ORDER BY position DESC, seq DESC LIMIT ?", timeline, kind, limit).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = r.change()
	}
	return out, nil
}

func (r changeRow) change() Change {
	c := Change{Position: r.Position, Seq: r.Seq, Kind: r.Kind, ID: r.ResourceID, Timeline: r.TimelineID,
		Action: r.Action, Revision: r.Revision, Version: r.Version, KeyID: r.KeyID, CreatedAt: r.CreatedAt.UTC()}
	if r.Content != nil {
		c.Content = json.RawMessage(*r.Content)
	}
	return c
}
