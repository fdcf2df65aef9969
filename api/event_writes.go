package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// WriteStore is what the write routes need from storage. *models.Store
// implements it; each method's doc comment names the errors it returns.
type WriteStore interface {
	Authenticate(ctx context.Context, token string) (models.APIKey, error)
	FindEventVersioned(ctx context.Context, id string) (models.Event, int64, error)
	CreateEvent(ctx context.Context, d models.EventDoc, m models.WriteMeta) (models.Event, int64, error)
	ReplaceEvent(ctx context.Context, d models.EventDoc, ifVersion int64, m models.WriteMeta) (models.Event, int64, error)
	RetractEvent(ctx context.Context, id string, ifVersion int64, m models.WriteMeta) (models.RetractedError, error)
	FindRevisions(ctx context.Context, id string, before int64, limit int) ([]models.Revision, bool, error)
	FindRevision(ctx context.Context, id string, n int64) (models.Revision, error)
	FindVersion(ctx context.Context, table, id string) (models.RecordVersion, error)
	FindSourceByID(ctx context.Context, id string) (models.Source, error)
	WriteActor(ctx context.Context, a models.Actor, create bool, ifVersion int64) (int64, error)
	WritePlace(ctx context.Context, p models.Place, create bool, ifVersion int64) (int64, error)
	WriteSource(ctx context.Context, src models.Source, create bool, ifVersion int64) (int64, error)
	WriteTimeline(ctx context.Context, t models.Timeline, create bool, ifVersion int64) (int64, error)
	DeleteTimeline(ctx context.Context, id string, ifVersion int64) error
	IdempotencyStore
}

var _ WriteStore = (*models.Store)(nil)

// Body limits of the write routes.
const (
	maxEventBody  = 256 << 10
	maxRecordBody = 32 << 10
)

// eventDocFrom reads an event write document; id is the event's id when
// the path gives it.
func eventDocFrom(f *fields) (models.EventDoc, string) {
	d := models.EventDoc{
		ID: f.str("id"), Timeline: f.required("timeline"), Title: f.required("title"), Summary: f.str("summary"),
		Date: f.required("date"), DisplayDate: f.str("display_date"), Type: f.required("type"), Status: f.required("status"),
		Tags: f.strs("tags"),
	}
	f.objects("actors", func(g *fields) {
		d.Actors = append(d.Actors, models.ActorRef{ID: g.required("id"), Role: g.required("role"), Name: g.str("name"),
			Kind: g.str("kind"), Aliases: g.strs("aliases")})
	})
	f.objects("places", func(g *fields) {
		d.Places = append(d.Places, models.PlaceRef{ID: g.required("id"), Name: g.str("name"), Kind: g.str("kind"),
			Country: g.str("country"), Aliases: g.strs("aliases")})
	})
	if !f.has("sources") {
		f.v.Add(f.ptr("sources"), "is required: every event needs at least one source with a quote")
	}
	f.objects("sources", func(g *fields) {
		d.Sources = append(d.Sources, models.CitationDoc{SourceID: g.required("source_id"), Quote: g.required("quote"),
			Note: g.str("note"), Title: g.str("title"), Author: g.str("author"), Publisher: g.str("publisher"),
			PublishedDate: g.str("published_date"), URL: g.str("url")})
	})
	comment := f.str("comment")
	f.done()
	return d, comment
}

// eventWrite finishes reading an event document: validation errors of its
// shape and of its content are reported together.
func eventWrite(m map[string]any, pathID string) (models.EventDoc, string, error) {
	v := &models.ValidationError{In: models.InBody}
	d, comment := eventDocFrom(newFields(m, "", v))
	if pathID != "" {
		if d.ID != "" && d.ID != pathID {
			v.Add("/id", "must be the id in the path, %q, or left out", pathID)
		}
		d.ID = pathID
	}
	if len(v.Fields) > 0 {
		// Add what the content rules say as well, for what could be read.
		check := d
		if check.ID == "" {
			check.ID = "made-by-the-server" // a POST without an id gets one
		}
		if _, err := check.Event(); err != nil {
			for _, f := range err.(*models.ValidationError).Fields {
				if !hasField(v, f.Field) {
					v.Fields = append(v.Fields, f)
				}
			}
		}
		return d, comment, v
	}
	return d, comment, nil
}

func hasField(v *models.ValidationError, field string) bool {
	for _, f := range v.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// newEventID makes an id for an event posted without one: its title as a
// slug and a suffix, random, or derived from the idempotency key so that a
// retried request can never create a second event.
func newEventID(c *gin.Context, key models.APIKey, title string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(slug) > 60 {
		slug = strings.TrimRight(slug[:60], "-")
	}
	var suffix string
	if ik := c.GetHeader(idempotencyHeader); ik != "" {
		sum := sha256.Sum256([]byte(key.ID + "\x00" + ik))
		suffix = hex.EncodeToString(sum[:4])
	} else {
		var b [4]byte
		_, _ = rand.Read(b[:])
		suffix = hex.EncodeToString(b[:])
	}
	if slug == "" {
		return "event-" + suffix
	}
	return slug + "-" + suffix
}

// openEdit opens every write to an existing resource (PUT, PATCH,
// DELETE): the id in the path, the request's API key (named with action
// in the write's log line) allowed by allow, and the version that
// If-Match names. Errors: allow's (ErrForbidden); what ifMatchVersion
// returns (ErrPreconditionRequired).
func openEdit(c *gin.Context, action string, allow func(models.APIKey) error) (string, models.APIKey, int64, error) {
	id := c.Param("id")
	key := writeKey(c, action, id)
	if err := allow(key); err != nil {
		return id, key, 0, err
	}
	ifVersion, err := ifMatchVersion(c)
	return id, key, ifVersion, err
}

// scopeAllows allows a key with scope, for any timeline (the store checks
// the event's timelines inside the write).
func scopeAllows(scope string) func(models.APIKey) error {
	return func(key models.APIKey) error { return key.Allows(scope, "") }
}

// writeMeta says who writes and lets the store check, inside the write,
// that the key may write to every timeline the event is or will be in.
func writeMeta(key models.APIKey, scope, comment string) models.WriteMeta {
	return models.WriteMeta{KeyID: key.ID, Comment: comment,
		Allow: func(timeline string) error { return key.Allows(scope, timeline) }}
}

// createEvent answers POST /v1/events: 201 with Location and ETag.
func (s *server) createEvent(c *gin.Context) error {
	key := writeKey(c, "event.create", "")
	if err := key.Allows(models.ScopeEventsWrite, ""); err != nil {
		return err
	}
	m, err := readObject(c, mediaJSON)
	if err != nil {
		return err
	}
	d, comment, err := eventWrite(m, "")
	if err != nil {
		return err
	}
	if d.ID == "" {
		d.ID = newEventID(c, key, d.Title)
	}
	c.Set(writeResourceKey, d.ID)
	s.respondInTx(c, func(_ context.Context, _ recordReader, result any) (models.IdempotentResponse, error) {
		w := result.(models.EventWrite)
		return eventAnswer(http.StatusCreated, w.Event, w.Version)
	})
	e, version, err := s.writes.CreateEvent(c.Request.Context(), d, writeMeta(key, models.ScopeEventsWrite, comment))
	if err != nil {
		return err
	}
	r, err := eventAnswer(http.StatusCreated, e, version)
	return sendAnswer(c, r, err)
}

// eventAnswer answers a write with the event as stored and its ETag, and
// its Location when it was created.
func eventAnswer(status int, e models.Event, version int64) (models.IdempotentResponse, error) {
	location := ""
	if status == http.StatusCreated {
		location = "/v1/events/" + e.ID
	}
	return resourceAnswer(status, version, location, newEventJSON(e))
}

// writeEvent answers a write with the event as stored and its ETag.
func (s *server) writeEvent(c *gin.Context, status int, e models.Event, version int64) error {
	r, err := eventAnswer(status, e, version)
	return sendAnswer(c, r, err)
}

// replaceEvent answers PUT /v1/events/{id}: a full replacement, or the
// restoration of a retracted event.
func (s *server) replaceEvent(c *gin.Context) error {
	id, key, ifVersion, err := openEdit(c, "event.replace", scopeAllows(models.ScopeEventsWrite))
	if err != nil {
		return err
	}
	m, err := readObject(c, mediaJSON)
	if err != nil {
		return err
	}
	d, comment, err := eventWrite(m, id)
	if err != nil {
		return err
	}
	e, version, err := s.writes.ReplaceEvent(c.Request.Context(), d, ifVersion, writeMeta(key, models.ScopeEventsWrite, comment))
	if err != nil {
		return err
	}
	return s.writeEvent(c, http.StatusOK, e, version)
}

// patchEvent answers PATCH /v1/events/{id}: an RFC 7396 merge patch of the
// event's write document (see models.EventDoc).
func (s *server) patchEvent(c *gin.Context) error {
	id, key, ifVersion, err := openEdit(c, "event.patch", scopeAllows(models.ScopeEventsWrite))
	if err != nil {
		return err
	}
	patch, err := readObject(c, mediaMergePatch)
	if err != nil {
		return err
	}
	current, version, err := s.writes.FindEventVersioned(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if version != ifVersion {
		return &models.StaleError{Current: version}
	}
	doc, err := toObject(models.DocOf(current))
	if err != nil {
		return err
	}
	comment, ok := patch["comment"].(string)
	if !ok && patch["comment"] != nil {
		return models.InvalidBody("/comment", "must be a string")
	}
	delete(patch, "comment")
	merged := mergePatch(doc, patch).(map[string]any)
	d, _, err := eventWrite(merged, id)
	if err != nil {
		return err
	}
	// The store checks the version again, under the row's lock: an edit
	// that came in since the read above makes this one fail with 412.
	s.respondInTx(c, func(_ context.Context, _ recordReader, result any) (models.IdempotentResponse, error) {
		w := result.(models.EventWrite)
		return eventAnswer(http.StatusOK, w.Event, w.Version)
	})
	e, version, err := s.writes.ReplaceEvent(c.Request.Context(), d, ifVersion, writeMeta(key, models.ScopeEventsWrite, comment))
	if err != nil {
		return err
	}
	return s.writeEvent(c, http.StatusOK, e, version)
}

// deleteEvent answers DELETE /v1/events/{id}: a retraction, 204 with the
// retraction's ETag (a PUT with it restores the event).
func (s *server) deleteEvent(c *gin.Context) error {
	id, key, ifVersion, err := openEdit(c, "event.retract", scopeAllows(models.ScopeTimelinesAdmin))
	if err != nil {
		return err
	}
	r, err := s.writes.RetractEvent(c.Request.Context(), id, ifVersion, writeMeta(key, models.ScopeTimelinesAdmin, c.Query("comment")))
	if err != nil {
		return err
	}
	c.Header("ETag", versionETag(r.Version))
	c.Status(http.StatusNoContent)
	c.Writer.WriteHeaderNow()
	return nil
}
