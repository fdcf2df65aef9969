package tests

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
)

// crashAfterCommit is the store with a fault between the commit of a write
// and its answer: the write commits, then the request fails as if the
// server had died before it could answer.
type crashAfterCommit struct {
	*models.Store
}

var errCrashed = errors.New("crashed after the commit")

func (s crashAfterCommit) CreateEvent(ctx context.Context, d models.EventDoc, m models.WriteMeta) (models.Event, int64, error) {
	if _, _, err := s.Store.CreateEvent(ctx, d, m); err != nil {
		return models.Event{}, 0, err
	}
	return models.Event{}, 0, errCrashed
}

func (s crashAfterCommit) WriteActor(ctx context.Context, a models.Actor, create bool, ifVersion int64) (int64, error) {
	if _, err := s.Store.WriteActor(ctx, a, create, ifVersion); err != nil {
		return 0, err
	}
	return 0, errCrashed
}

func (s crashAfterCommit) ImportEvents(ctx context.Context, opts models.ImportOptions, r models.ImportReader) (models.ImportReport, error) {
	if _, err := s.Store.ImportEvents(ctx, opts, r); err != nil {
		return models.ImportReport{}, err
	}
	return models.ImportReport{}, errCrashed
}

// TestIdempotencyRecordCommitsWithWrite: the response to an
// Idempotency-Key is recorded in the write's own transaction. A write that
// committed and then failed to answer (the fault above, in place of a
// crash) is replayed to the retry, which reaches a healthy server, and
// the write exists once: for an event, a record and an import.
func TestIdempotencyRecordCommitsWithWrite(t *testing.T) {
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			router, err := api.New(crashAfterCommit{b.store}, api.Config{Spec: spec, CursorKey: []byte("test-key")})
			if err != nil {
				t.Fatal(err)
			}
			crashing := httptest.NewServer(router)
			defer crashing.Close()
			healthy := b
			faulty := *b
			faulty.server = crashing
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)

			body := newEventBody("", "Committed then crashed")
			first := faulty.write(t, "POST", "/v1/events", key, jsonType, body, "Idempotency-Key", "crash-1")
			if first.status != http.StatusInternalServerError {
				t.Fatalf("the faulty server: got %d, want 500", first.status)
			}
			retry := healthy.write(t, "POST", "/v1/events", key, jsonType, body, "Idempotency-Key", "crash-1")
			retry.wantStatus(t, http.StatusCreated)
			if retry.header.Get("Idempotent-Replayed") != "true" || !strings.HasPrefix(retry.header.Get("Location"), "/v1/events/committed-then-crashed-") ||
				retry.etag() != `"v1"` {
				t.Errorf("retry: got Idempotent-Replayed %q, Location %q, ETag %q; want the replay of the 201 with its Location and \"v1\"",
					retry.header.Get("Idempotent-Replayed"), retry.header.Get("Location"), retry.etag())
			}
			var e struct{ ID, Title string }
			retry.decode(t, &e)
			if e.Title != "Committed then crashed" || "/v1/events/"+e.ID != retry.header.Get("Location") {
				t.Errorf("replayed body: got %+v, want the event created", e)
			}
			if n := len(b.allEvents(t, "q=crashed")); n != 1 {
				t.Errorf("got %d events, want 1", n)
			}

			actor := `{"id": "crash-actor", "name": "Crash Actor", "kind": "person"}`
			if r := faulty.write(t, "POST", "/v1/actors", key, jsonType, actor, "Idempotency-Key", "crash-2"); r.status != 500 {
				t.Fatalf("actor on the faulty server: got %d, want 500", r.status)
			}
			r := healthy.write(t, "POST", "/v1/actors", key, jsonType, actor, "Idempotency-Key", "crash-2")
			r.wantStatus(t, http.StatusCreated)
			if r.header.Get("Idempotent-Replayed") != "true" || r.header.Get("Location") != "/v1/actors/crash-actor" {
				t.Errorf("actor retry: got replayed %q, Location %q; want the replay", r.header.Get("Idempotent-Replayed"), r.header.Get("Location"))
			}

			b.deskSource(t)
			line := `{"id": "crash-import", "title": "Imported then crashed", "edtf": "2019", "type": "statement", "status": "occurred",` +
				` "sources": [{"source_id": "desk-notes", "quote": "In 2019."}]}` + "\n"
			if r := faulty.write(t, "POST", "/v1/timelines/csto/import", key, ndjsonType, line, "Idempotency-Key", "crash-3"); r.status != 500 {
				t.Fatalf("import on the faulty server: got %d, want 500", r.status)
			}
			r = healthy.write(t, "POST", "/v1/timelines/csto/import", key, ndjsonType, line, "Idempotency-Key", "crash-3")
			r.wantStatus(t, http.StatusOK)
			var rep struct{ Created, Updated int }
			r.decode(t, &rep)
			if r.header.Get("Idempotent-Replayed") != "true" || rep.Created != 1 || rep.Updated != 0 {
				t.Errorf("import retry: got replayed %q, report %+v; want the first run's report (created 1)", r.header.Get("Idempotent-Replayed"), rep)
			}
			revs := b.get(t, "/v1/events/crash-import/revisions")
			var page struct{ Data []any }
			revs.decode(t, &page)
			if len(page.Data) != 1 {
				t.Errorf("crash-import: got %d revisions, want 1", len(page.Data))
			}
		})
	}
}
