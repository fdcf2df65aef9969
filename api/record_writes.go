package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Writes of timelines, actors, places and sources: POST creates (201 with
// Location and ETag), PATCH merges an RFC 7396 patch into the record's
// write document under If-Match, DELETE (timelines only) removes.

// recordReader reads the records that writes answer with: the server's
// stores, or the write's transaction (see respondInTx).
type recordReader interface {
	FindTimelineByID(ctx context.Context, id string) (models.Timeline, error)
	FindActorByID(ctx context.Context, id string) (models.ActorUsage, error)
	FindPlaceByID(ctx context.Context, id string) (models.PlaceUsage, error)
	FindSourceByID(ctx context.Context, id string) (models.Source, error)
}

// serverRecords reads records through the server's stores.
type serverRecords struct {
	Store
	WriteStore
}

func (r serverRecords) FindSourceByID(ctx context.Context, id string) (models.Source, error) {
	return r.WriteStore.FindSourceByID(ctx, id)
}

// records is the server's recordReader.
func (s *server) records() recordReader { return serverRecords{s.store, s.writes} }

// recordWrite describes one kind of record for the generic handlers.
type recordWrite struct {
	table  string
	scope  string
	path   string // the collection, such as /v1/actors
	action string // the log's name, such as actor
	// doc is the current write document of record id, read through r.
	doc func(r recordReader, ctx context.Context, id string) (map[string]any, error)
	// save reads a write document and creates or updates the record.
	save func(s *server, c *gin.Context, f *fields, create bool, ifVersion int64) (string, int64, error)
}

func timelineRecord() recordWrite {
	return recordWrite{table: models.TableTimelines, scope: models.ScopeTimelinesAdmin, path: "/v1/timelines", action: "timeline",
		doc: func(r recordReader, ctx context.Context, id string) (map[string]any, error) {
			t, err := r.FindTimelineByID(ctx, id)
			if err != nil {
				return nil, err
			}
			srcs := []any{}
			for _, src := range t.Sources {
				srcs = append(srcs, src.ID)
			}
			return map[string]any{"id": t.ID, "title": t.Title, "description": t.Description, "sources": srcs}, nil
		},
		save: func(s *server, c *gin.Context, f *fields, create bool, ifVersion int64) (string, int64, error) {
			t := models.Timeline{ID: f.required("id"), Title: f.required("title"), Description: f.str("description")}
			for _, id := range f.strs("sources") {
				t.Sources = append(t.Sources, models.Source{ID: id})
			}
			f.done()
			if err := f.v.Err(); err != nil {
				return t.ID, 0, err
			}
			v, err := s.writes.WriteTimeline(c.Request.Context(), t, create, ifVersion)
			return t.ID, v, err
		}}
}

func actorRecord() recordWrite {
	return recordWrite{table: models.TableActors, scope: models.ScopeEventsWrite, path: "/v1/actors", action: "actor",
		doc: func(r recordReader, ctx context.Context, id string) (map[string]any, error) {
			a, err := r.FindActorByID(ctx, id)
			if err != nil {
				return nil, err
			}
			return toObject(map[string]any{"id": a.ID, "name": a.Name, "kind": a.Kind, "aliases": nonNilStrings(a.Aliases)})
		},
		save: func(s *server, c *gin.Context, f *fields, create bool, ifVersion int64) (string, int64, error) {
			a := models.Actor{ID: f.required("id"), Name: f.required("name"), Kind: f.required("kind"), Aliases: f.strs("aliases")}
			f.done()
			if err := f.v.Err(); err != nil {
				return a.ID, 0, err
			}
			v, err := s.writes.WriteActor(c.Request.Context(), a, create, ifVersion)
			return a.ID, v, err
		}}
}

func placeRecord() recordWrite {
	return recordWrite{table: models.TablePlaces, scope: models.ScopeEventsWrite, path: "/v1/places", action: "place",
		doc: func(r recordReader, ctx context.Context, id string) (map[string]any, error) {
			p, err := r.FindPlaceByID(ctx, id)
			if err != nil {
				return nil, err
			}
			m := map[string]any{"id": p.ID, "name": p.Name, "kind": p.Kind, "aliases": nonNilStrings(p.Aliases)}
			if p.Country != "" {
				m["country"] = p.Country
			}
			return toObject(m)
		},
		save: func(s *server, c *gin.Context, f *fields, create bool, ifVersion int64) (string, int64, error) {
			p := models.Place{ID: f.required("id"), Name: f.required("name"), Kind: f.required("kind"), Country: f.str("country"),
				Aliases: f.strs("aliases")}
			f.done()
			if err := f.v.Err(); err != nil {
				return p.ID, 0, err
			}
			v, err := s.writes.WritePlace(c.Request.Context(), p, create, ifVersion)
			return p.ID, v, err
		}}
}

func sourceRecord() recordWrite {
	return recordWrite{table: models.TableSources, scope: models.ScopeEventsWrite, path: "/v1/sources", action: "source",
		doc: func(r recordReader, ctx context.Context, id string) (map[string]any, error) {
			src, err := r.FindSourceByID(ctx, id)
			if err != nil {
				return nil, err
			}
			return toObject(sourceDoc(src))
		},
		save: func(s *server, c *gin.Context, f *fields, create bool, ifVersion int64) (string, int64, error) {
			src := models.Source{ID: f.required("id"), Title: f.required("title"), Author: f.str("author"),
				Publisher: f.str("publisher"), URL: f.str("url"), Note: f.str("note")}
			if p := f.str("published_date"); p != "" {
				d, err := models.ParseDate(p)
				if err != nil {
					f.v.Add("/published_date", "%q is not a date (YYYY-MM-DD)", p)
				}
				src.Published = d
			}
			f.done()
			if err := f.v.Err(); err != nil {
				return src.ID, 0, err
			}
			v, err := s.writes.WriteSource(c.Request.Context(), src, create, ifVersion)
			return src.ID, v, err
		}}
}

func sourceDoc(src models.Source) map[string]any {
	m := map[string]any{"id": src.ID, "title": src.Title, "author": src.Author, "publisher": src.Publisher,
		"url": src.URL, "note": src.Note}
	if !src.Published.IsZero() {
		m["published_date"] = src.Published.String()
	}
	return m
}

// allowRecord checks that key may write records of rw. Actors, places and
// sources are shared by every timeline: a key bound to one timeline may
// create them inside its event writes, not edit them here.
func allowRecord(key models.APIKey, rw recordWrite) error {
	if err := key.Allows(rw.scope, ""); err != nil {
		return err
	}
	if key.Timeline != "" && key.Scope != models.ScopeTimelinesAdmin {
		return models.Errorf(models.ErrForbidden, "this API key may write only to the timeline %q; %s are shared by every timeline",
			key.Timeline, rw.table)
	}
	return nil
}

// createRecord answers POST on a record collection.
func (s *server) createRecord(rw recordWrite) handler {
	return func(c *gin.Context) error {
		key := writeKey(c, rw.action+".create", "")
		if err := allowRecord(key, rw); err != nil {
			return err
		}
		m, err := readObject(c, mediaJSON)
		if err != nil {
			return err
		}
		v := &models.ValidationError{In: models.InBody}
		s.respondInTx(c, func(ctx context.Context, tx recordReader, result any) (models.IdempotentResponse, error) {
			w := result.(models.RecordWrite)
			return recordAnswer(ctx, tx, rw, http.StatusCreated, w.ID, w.Version)
		})
		id, version, err := rw.save(s, c, newFields(m, "", v), true, 0)
		c.Set(writeResourceKey, id)
		if err != nil {
			return err
		}
		r, err := recordAnswer(c.Request.Context(), s.records(), rw, http.StatusCreated, id, version)
		return sendAnswer(c, r, err)
	}
}

// patchRecord answers PATCH on a record.
func (s *server) patchRecord(rw recordWrite) handler {
	return func(c *gin.Context) error {
		id, _, ifVersion, err := openEdit(c, rw.action+".patch", func(key models.APIKey) error { return allowRecord(key, rw) })
		if err != nil {
			return err
		}
		patch, err := readObject(c, mediaMergePatch)
		if err != nil {
			return err
		}
		if !models.ValidSlug(id) {
			return models.ErrNotFound
		}
		current, err := s.writes.FindVersion(c.Request.Context(), rw.table, id)
		if err != nil {
			return err
		}
		if current.Version != ifVersion {
			return &models.StaleError{Current: current.Version}
		}
		doc, err := rw.doc(s.records(), c.Request.Context(), id)
		if err != nil {
			return err
		}
		merged := mergePatch(doc, patch).(map[string]any)
		v := &models.ValidationError{In: models.InBody}
		f := newFields(merged, "", v)
		if newID := f.str("id"); newID != id {
			v.Add("/id", "an id cannot change")
		}
		s.respondInTx(c, func(ctx context.Context, tx recordReader, result any) (models.IdempotentResponse, error) {
			w := result.(models.RecordWrite)
			return recordAnswer(ctx, tx, rw, http.StatusOK, w.ID, w.Version)
		})
		_, version, err := rw.save(s, c, f, false, ifVersion)
		if err != nil {
			return err
		}
		r, err := recordAnswer(c.Request.Context(), s.records(), rw, http.StatusOK, id, version)
		return sendAnswer(c, r, err)
	}
}

// recordAnswer answers a record write with the record's write document,
// read through r.
func recordAnswer(ctx context.Context, r recordReader, rw recordWrite, status int, id string, version int64) (models.IdempotentResponse, error) {
	doc, err := rw.doc(r, ctx, id)
	if err != nil {
		return models.IdempotentResponse{}, err
	}
	location := ""
	if status == http.StatusCreated {
		location = rw.path + "/" + id
	}
	return resourceAnswer(status, version, location, doc)
}

// deleteTimeline answers DELETE /v1/timelines/{id}: 204, or 409 while it
// holds live events.
func (s *server) deleteTimeline(c *gin.Context) error {
	id, _, ifVersion, err := openEdit(c, "timeline.delete", scopeAllows(models.ScopeTimelinesAdmin))
	if err != nil {
		return err
	}
	if err := s.writes.DeleteTimeline(c.Request.Context(), id, ifVersion); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	c.Writer.WriteHeaderNow()
	return nil
}
