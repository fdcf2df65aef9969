package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
)

// contractKeys gives b API keys by role: admin (timelines:admin), writer
// (events:write), bound (events:write for another timeline only), bad (a
// key that does not exist) and none.
func contractKeys(t *testing.T, b *backend) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.store.FindTimelineByID(ctx, "contract-other"); err == models.ErrNotFound {
		if _, err := b.store.WriteTimeline(ctx, models.Timeline{ID: "contract-other", Title: "Other"}, true, 0); err != nil {
			t.Fatal(err)
		}
	}
	b.keys = map[string]string{
		"admin":  b.newKey(t, models.ScopeTimelinesAdmin, "", 0),
		"writer": b.newKey(t, models.ScopeEventsWrite, "", 0),
		"bound":  b.newKey(t, models.ScopeEventsWrite, "contract-other", 0),
		"bad":    "tlk_00000000_" + strings.Repeat("x", 43),
	}
}

// contractWriteCases are the write requests, in order, against a fresh
// backend: each operation's success and every problem it documents.
func contractWriteCases(t *testing.T, b *backend) []contractCase {
	contractKeys(t, b)
	const ev = "/v1/events/contract-one"
	valid := newEventBody("contract-one", "Contract event")
	big := `{"title": "` + strings.Repeat("x", 300<<10) + `"}`
	bigRecord := `{"title": "` + strings.Repeat("x", 40<<10) + `"}`
	j, m := jsonType, mergeType
	w := func(name, method, path, key, ct, body, ifMatch string, status int) contractCase {
		return contractCase{name: name, method: method, path: path, key: key, contentType: ct, body: body, ifMatch: ifMatch, status: status}
	}
	cases := []contractCase{
		w("create event", "POST", "/v1/events", "writer", j, valid, "", 201),
		w("create event again", "POST", "/v1/events", "writer", j, valid, "", 409),
		{name: "create event idempotently", method: "POST", path: "/v1/events", key: "writer", contentType: j,
			body: newEventBody("", "Idempotent"), header: http.Header{"Idempotency-Key": {"k1"}}, status: 201},
		{name: "create event replayed", method: "POST", path: "/v1/events", key: "writer", contentType: j,
			body: newEventBody("", "Idempotent"), header: http.Header{"Idempotency-Key": {"k1"}}, status: 201},
		{name: "create event, key reused", method: "POST", path: "/v1/events", key: "writer", contentType: j,
			body: newEventBody("", "Other"), header: http.Header{"Idempotency-Key": {"k1"}}, status: 422},
		w("create event without key", "POST", "/v1/events", "none", j, valid, "", 401),
		w("create event with a bad key", "POST", "/v1/events", "bad", j, valid, "", 401),
		w("create event elsewhere", "POST", "/v1/events", "bound", j, valid, "", 403),
		w("create event malformed", "POST", "/v1/events", "writer", j, `{"title": `, "", 400),
		w("create event too large", "POST", "/v1/events", "writer", j, big, "", 413),
		w("create event as text", "POST", "/v1/events", "writer", "text/plain", valid, "", 415),
		w("create event invalid", "POST", "/v1/events", "writer", j, `{"timeline": "csto", "title": "", "date": "2020-13"}`, "", 422),

		w("replace event", "PUT", ev, "writer", j, strings.Replace(valid, "Contract event", "Replaced", 1), "@"+ev, 200),
		w("replace event malformed", "PUT", ev, "writer", j, `[`, "@"+ev, 400),
		w("replace event without key", "PUT", ev, "none", j, valid, "@"+ev, 401),
		w("replace event elsewhere", "PUT", ev, "bound", j, valid, "@"+ev, 403),
		w("replace unknown event", "PUT", "/v1/events/no-such-event", "writer", j, newEventBody("", "X"), `"v1"`, 404),
		w("replace event stale", "PUT", ev, "writer", j, valid, `"v1"`, 412),
		w("replace event too large", "PUT", ev, "writer", j, big, "@"+ev, 413),
		w("replace event as text", "PUT", ev, "writer", "text/plain", valid, "@"+ev, 415),
		w("replace event invalid", "PUT", ev, "writer", j, `{"timeline": "csto", "titel": "x"}`, "@"+ev, 422),
		w("replace event without If-Match", "PUT", ev, "writer", j, valid, "", 428),

		w("patch event", "PATCH", ev, "writer", m, `{"summary": "Patched.", "comment": "contract"}`, "@"+ev, 200),
		w("patch event malformed", "PATCH", ev, "writer", m, `{`, "@"+ev, 400),
		w("patch event without key", "PATCH", ev, "none", m, `{}`, "@"+ev, 401),
		w("patch event elsewhere", "PATCH", ev, "bound", m, `{"title": "x"}`, "@"+ev, 403),
		w("patch unknown event", "PATCH", "/v1/events/no-such-event", "writer", m, `{}`, `"v1"`, 404),
		w("patch event stale", "PATCH", ev, "writer", m, `{"title": "x"}`, `"v1"`, 412),
		w("patch event too large", "PATCH", ev, "writer", m, big, "@"+ev, 413),
		w("patch event as JSON", "PATCH", ev, "writer", j, `{}`, "@"+ev, 415),
		w("patch event invalid", "PATCH", ev, "writer", m, `{"type": "party", "actors": [{"id": "csto"}]}`, "@"+ev, 422),
		w("patch event without If-Match", "PATCH", ev, "writer", m, `{}`, "", 428),

		w("retract event without key", "DELETE", ev, "none", "", "", "@"+ev, 401),
		w("retract event as writer", "DELETE", ev, "writer", "", "", "@"+ev, 403),
		w("retract unknown event", "DELETE", "/v1/events/no-such-event", "admin", "", "", `"v1"`, 404),
		w("retract event stale", "DELETE", ev, "admin", "", "", `"v1"`, 412),
		w("retract event without If-Match", "DELETE", ev, "admin", "", "", "", 428),
		w("retract event", "DELETE", ev, "admin", "", "", "@"+ev, 204),
		{name: "get retracted event", path: ev, status: 410},
		w("retract event again", "DELETE", ev, "admin", "", "", `"v9"`, 410),
		w("patch retracted event", "PATCH", ev, "writer", m, `{}`, `"v9"`, 410),
	}
	for _, r := range []struct {
		coll, item, create, patch, invalid, existing string
	}{
		{"/v1/timelines", "/v1/timelines/contract-tl", `{"id": "contract-tl", "title": "Contract", "sources": ["bohdan-2020-csto"]}`,
			`{"description": "Patched."}`, `{"id": "Bad", "title": ""}`, `{"id": "csto", "title": "Again"}`},
		{"/v1/actors", "/v1/actors/contract-actor", `{"id": "contract-actor", "name": "Contract Actor", "kind": "person"}`,
			`{"aliases": ["C. Actor"]}`, `{"id": "x", "name": "", "kind": "alien"}`, `{"id": "csto", "name": "Another CSTO", "kind": "body"}`},
		{"/v1/places", "/v1/places/contract-city", `{"id": "contract-city", "name": "Contract City", "kind": "city", "country": "russia"}`,
			`{"aliases": ["CC"]}`, `{"id": "x", "name": "X", "kind": "planet"}`, `{"id": "russia", "name": "Rus", "kind": "country"}`},
		{"/v1/sources", "/v1/sources/contract-source", `{"id": "contract-source", "title": "A source", "published_date": "2021-01-02"}`,
			`{"author": "Someone"}`, `{"id": "x", "title": "", "extra": 1}`, `{"id": "bohdan-2020-csto", "title": "Again"}`},
	} {
		scope, forbidden := "writer", "bound"
		if r.coll == "/v1/timelines" {
			scope, forbidden = "admin", "writer"
		}
		name := strings.TrimPrefix(r.coll, "/v1/")
		cur := `"v1"`
		cases = append(cases,
			w("create "+name, "POST", r.coll, scope, j, r.create, "", 201),
			w("create "+name+" existing", "POST", r.coll, scope, j, r.existing, "", 409),
			w("create "+name+" malformed", "POST", r.coll, scope, j, `{`, "", 400),
			w("create "+name+" without key", "POST", r.coll, "none", j, r.create, "", 401),
			w("create "+name+" forbidden", "POST", r.coll, forbidden, j, r.create, "", 403),
			w("create "+name+" too large", "POST", r.coll, scope, j, bigRecord, "", 413),
			w("create "+name+" as text", "POST", r.coll, scope, "text/plain", r.create, "", 415),
			w("create "+name+" invalid", "POST", r.coll, scope, j, r.invalid, "", 422),
			w("patch "+name, "PATCH", r.item, scope, m, r.patch, cur, 200),
			w("patch "+name+" malformed", "PATCH", r.item, scope, m, `{`, `"v2"`, 400),
			w("patch "+name+" without key", "PATCH", r.item, "none", m, r.patch, `"v2"`, 401),
			w("patch "+name+" forbidden", "PATCH", r.item, forbidden, m, r.patch, `"v2"`, 403),
			w("patch unknown "+name, "PATCH", r.coll+"/no-such-thing", scope, m, r.patch, `"v1"`, 404),
			w("patch "+name+" stale", "PATCH", r.item, scope, m, r.patch, `"v1"`, 412),
			w("patch "+name+" too large", "PATCH", r.item, scope, m, bigRecord, `"v2"`, 413),
			w("patch "+name+" as JSON", "PATCH", r.item, scope, j, r.patch, `"v2"`, 415),
			w("patch "+name+" invalid", "PATCH", r.item, scope, m, `{"name": 5, "title": 5, "nope": true}`, `"v2"`, 422),
			w("patch "+name+" without If-Match", "PATCH", r.item, scope, m, r.patch, "", 428),
		)
	}
	const imp = "/v1/timelines/csto/import"
	tjs := `{"events": [{"unique_id": "contract-import", "start_date": {"year": 2002}, "text": {"headline": "Imported"},
		"group": "meeting", "sources": [{"source_id": "bohdan-2020-csto",
		"quote": "Up until 2002, the organization existed almost exclusively on paper."}]}]}`
	cases = append(cases,
		w("import", "POST", imp, "writer", j, tjs, "", 200),
		w("import dry run", "POST", imp+"?dry_run=true&mode=replace", "writer", j, tjs, "", 200),
		w("import bad mode", "POST", imp+"?mode=sometimes", "writer", j, tjs, "", 400),
		w("import without key", "POST", imp, "none", j, tjs, "", 401),
		w("import elsewhere", "POST", imp, "bound", j, tjs, "", 403),
		w("import into an unknown timeline", "POST", "/v1/timelines/no-such-thing/import", "writer", j, tjs, "", 404),
		w("import as text", "POST", imp, "writer", "text/plain", tjs, "", 415),
		w("import too large", "POST", imp, "writer", j, strings.Repeat(" ", api.DefaultImportBodyLimit+1), "", 413),
		w("import invalid", "POST", imp, "writer", j, `{"events": [{"text": {"headline": ""}}]}`, "", 422),
	)
	cases = append(cases,
		w("delete timeline without key", "DELETE", "/v1/timelines/contract-tl", "none", "", "", `"v2"`, 401),
		w("delete timeline as writer", "DELETE", "/v1/timelines/contract-tl", "writer", "", "", `"v2"`, 403),
		w("delete unknown timeline", "DELETE", "/v1/timelines/no-such-thing", "admin", "", "", `"v1"`, 404),
		w("delete timeline with events", "DELETE", "/v1/timelines/csto", "admin", "", "", "@/v1/timelines/csto", 409),
		w("delete timeline stale", "DELETE", "/v1/timelines/contract-tl", "admin", "", "", `"v1"`, 412),
		w("delete timeline without If-Match", "DELETE", "/v1/timelines/contract-tl", "admin", "", "", "", 428),
		w("delete timeline", "DELETE", "/v1/timelines/contract-tl", "admin", "", "", `"v2"`, 204),
	)
	return cases
}

// contractWriteRateLimitedCases run against a router whose API keys may
// write once: every write operation then answers 429.
func contractWriteRateLimitedCases(s *contractSpec) []contractCase {
	out := []contractCase{{name: "first write", method: "POST", path: "/v1/events", key: "admin", contentType: jsonType,
		body: "{}", status: http.StatusUnprocessableEntity}}
	for _, op := range s.contractOperations() {
		method, path, _ := strings.Cut(op, " ")
		if method == http.MethodGet {
			continue
		}
		out = append(out, contractCase{name: op, method: method, path: contractSamplePath(path), key: "admin",
			contentType: jsonType, body: "{}", ifMatch: `"v1"`, status: http.StatusTooManyRequests})
	}
	return out
}

// contractWriteFailureCases are the writes against a store without a write
// side (or whose database is down): 503.
func contractWriteFailureCases(s *contractSpec) []contractCase {
	var out []contractCase
	for _, op := range s.contractOperations() {
		method, path, _ := strings.Cut(op, " ")
		if method == http.MethodGet {
			continue
		}
		out = append(out, contractCase{name: op, method: method, path: contractSamplePath(path), key: "none",
			contentType: jsonType, body: "{}", ifMatch: `"v1"`, status: http.StatusServiceUnavailable})
	}
	return out
}
