package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// TestWriteAuth checks who may write: no key, a malformed, unknown,
// expired or revoked key is a 401 with WWW-Authenticate; a key without the
// scope or outside its timeline is a 403. Reads stay public.
func TestWriteAuth(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			writer := b.newKey(t, models.ScopeEventsWrite, "", 0)
			other, err := b.store.WriteTimeline(ctx, models.Timeline{ID: "other", Title: "Other"}, true, 0)
			if err != nil || other != 1 {
				t.Fatalf("create timeline: version %d, %v", other, err)
			}
			bound := b.newKey(t, models.ScopeEventsWrite, "other", 0)
			expired := b.newKey(t, models.ScopeEventsWrite, "", time.Millisecond)
			revoked := b.newKey(t, models.ScopeEventsWrite, "", 0)
			id := strings.Split(revoked, "_")[1]
			if err := b.store.RevokeAPIKey(ctx, id); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
			body := newEventBody("", "Auth test")
			for _, c := range []struct {
				name, key string
				status    int
				typ       string
			}{
				{"no key", "", 401, "unauthorized"},
				{"malformed key", "nonsense", 401, "unauthorized"},
				{"unknown key", "tlk_00000000_" + strings.Repeat("A", 43), 401, "unauthorized"},
				{"wrong secret", writer[:len(writer)-2] + "xx", 401, "unauthorized"},
				{"expired key", expired, 401, "unauthorized"},
				{"revoked key", revoked, 401, "unauthorized"},
				{"other timeline", bound, 403, "forbidden"},
			} {
				r := b.write(t, "POST", "/v1/events", c.key, jsonType, body)
				wantProblem(t, c.name, r, c.status, c.typ)
				if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: got WWW-Authenticate %q, want Bearer", c.name, r.header.Get("WWW-Authenticate"))
				}
			}
			// The right scope but not admin: no timelines, no retraction.
			wantProblem(t, "events:write creating a timeline",
				b.write(t, "POST", "/v1/timelines", writer, jsonType, `{"id":"x","title":"X"}`), 403, "forbidden")
			r := b.write(t, "POST", "/v1/events", writer, jsonType, body)
			r.wantStatus(t, 201)
			loc := r.header.Get("Location")
			wantProblem(t, "events:write retracting", b.write(t, "DELETE", loc, writer, "", "", "If-Match", r.etag()), 403, "forbidden")
			// A key bound to a timeline writes there and nowhere else.
			r = b.write(t, "POST", "/v1/events", bound, jsonType, strings.Replace(body, `"csto"`, `"other"`, 1))
			r.wantStatus(t, 201)
			// Moving a csto event into "other" needs a key for both.
			cur := b.get(t, loc)
			moved := strings.Replace(body, `"timeline": "csto"`, `"timeline": "other"`, 1)
			wantProblem(t, "bound key moving an event out of csto",
				b.write(t, "PUT", loc, bound, jsonType, moved, "If-Match", cur.etag()), 403, "forbidden")
		})
	}
}

// TestEventWriteLifecycle creates, reads, replaces, patches, retracts and
// restores an event, checking ETags, revisions and what listings show.
func TestEventWriteLifecycle(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			r := b.write(t, "POST", "/v1/events", admin, jsonType, newEventBody("lifecycle-one", "First version"))
			r.wantStatus(t, 201)
			if got := r.header.Get("Location"); got != "/v1/events/lifecycle-one" {
				t.Fatalf("got Location %q", got)
			}
			if r.etag() != `"v1"` {
				t.Fatalf("got ETag %q, want \"v1\"", r.etag())
			}
			var e eventDoc
			r.decode(t, &e)
			if e.StartDate != "2020-05-26" || e.EndDate != "2020-05-26" || e.DatePrecision != "day" || e.EDTF != "2020-05-26" {
				t.Errorf("derived dates: got %+v", e)
			}
			got := b.get(t, "/v1/events/lifecycle-one")
			got.wantStatus(t, 200)
			if got.etag() != `"v1"` {
				t.Errorf("GET ETag: got %q, want \"v1\"", got.etag())
			}
			if ids := ids(b.allEvents(t, "year=2020&tag=test-tag")); len(ids) != 1 || ids[0] != "lifecycle-one" {
				t.Errorf("listing by year and tag: got %v", ids)
			}

			// PUT without If-Match: 428; with a stale one: 412 with the current ETag.
			put := strings.Replace(newEventBody("", "Second version"), `"2020-05-26"`, `"2020-05~"`, 1)
			wantProblem(t, "PUT without If-Match", b.write(t, "PUT", "/v1/events/lifecycle-one", admin, jsonType, put), 428, "precondition-required")
			stale := b.write(t, "PUT", "/v1/events/lifecycle-one", admin, jsonType, put, "If-Match", `"v7"`)
			wantProblem(t, "PUT with a stale If-Match", stale, 412, "precondition-failed")
			if stale.header.Get("ETag") != `"v1"` {
				t.Errorf("412: got ETag %q, want the current \"v1\"", stale.header.Get("ETag"))
			}
			r = b.write(t, "PUT", "/v1/events/lifecycle-one", admin, jsonType, put, "If-Match", `"v1"`)
			r.wantStatus(t, 200)
			r.decode(t, &e)
			if r.etag() != `"v2"` || e.Title != "Second version" || e.DatePrecision != "month" || !e.Approximate ||
				e.StartDate != "2020-05-01" || e.EndDate != "2020-05-31" {
				t.Errorf("after PUT: ETag %q, event %+v", r.etag(), e)
			}

			// PATCH: merge patch, only the named fields change.
			wantProblem(t, "PATCH as JSON", b.write(t, "PATCH", "/v1/events/lifecycle-one", admin, jsonType, `{"title":"x"}`,
				"If-Match", `"v2"`), 415, "unsupported-media-type")
			r = b.write(t, "PATCH", "/v1/events/lifecycle-one", admin, mergeType,
				`{"title": "Third version", "summary": "Now with a summary.", "comment": "fix title"}`, "If-Match", `"v2"`)
			r.wantStatus(t, 200)
			r.decode(t, &e)
			if r.etag() != `"v3"` || e.Title != "Third version" || e.DatePrecision != "month" || len(e.Actors) != 1 {
				t.Errorf("after PATCH: ETag %q, event %+v", r.etag(), e)
			}

			// Retraction: 410 with when, gone from listings, revisions stay.
			wantProblem(t, "DELETE stale", b.write(t, "DELETE", "/v1/events/lifecycle-one", admin, "", "", "If-Match", `"v2"`), 412, "precondition-failed")
			r = b.write(t, "DELETE", "/v1/events/lifecycle-one", admin, "", "", "If-Match", `"v3"`)
			r.wantStatus(t, 204)
			gone := b.get(t, "/v1/events/lifecycle-one")
			p := wantProblem(t, "GET retracted", gone, 410, "gone")
			if !strings.Contains(p.Detail, "retracted") {
				t.Errorf("410 detail %q does not say it was retracted", p.Detail)
			}
			if n := len(b.allEvents(t, "year=2020&tag=test-tag")); n != 0 {
				t.Errorf("retracted event still listed (%d)", n)
			}
			csv := b.get(t, "/v1/events.csv?tag=test-tag")
			if strings.Contains(string(csv.body), "lifecycle-one") {
				t.Errorf("retracted event still exported")
			}
			wantProblem(t, "POST reusing a retracted id",
				b.write(t, "POST", "/v1/events", admin, jsonType, newEventBody("lifecycle-one", "Again")), 409, "conflict")

			var revs struct {
				Data []struct {
					Revision int64           `json:"revision"`
					Action   string          `json:"action"`
					KeyID    string          `json:"key_id"`
					Comment  string          `json:"comment"`
					Event    json.RawMessage `json:"event"`
				} `json:"data"`
				Links struct{ Next *string } `json:"links"`
			}
			r = b.get(t, "/v1/events/lifecycle-one/revisions")
			r.wantStatus(t, 200)
			r.decode(t, &revs)
			var actions []string
			for _, rv := range revs.Data {
				actions = append(actions, rv.Action)
			}
			if fmt.Sprint(actions) != "[retract update update create]" || revs.Data[1].Comment != "fix title" ||
				revs.Data[0].KeyID != strings.Split(admin, "_")[1] {
				t.Errorf("revisions: got %v, %+v", actions, revs.Data)
			}
			// Keyset paging, newest first, no repeats or gaps.
			var paged []int64
			path := "/v1/events/lifecycle-one/revisions?limit=1"
			for path != "" {
				r := b.get(t, path)
				r.wantStatus(t, 200)
				var page struct {
					Data  []struct{ Revision int64 } `json:"data"`
					Links struct{ Next *string }     `json:"links"`
				}
				r.decode(t, &page)
				for _, d := range page.Data {
					paged = append(paged, d.Revision)
				}
				path = ""
				if page.Links.Next != nil {
					path = *page.Links.Next
				}
			}
			if fmt.Sprint(paged) != "[4 3 2 1]" {
				t.Errorf("paged revisions: got %v, want [4 3 2 1]", paged)
			}
			// Restore: PUT revision 3's content with the retraction's ETag.
			r = b.get(t, "/v1/events/lifecycle-one/revisions/3")
			r.wantStatus(t, 200)
			var rev struct{ Event json.RawMessage }
			r.decode(t, &rev)
			r = b.write(t, "PUT", "/v1/events/lifecycle-one", admin, jsonType, string(rev.Event), "If-Match", gone.etag())
			r.wantStatus(t, 200)
			r.decode(t, &e)
			if e.Title != "Third version" || r.etag() != `"v5"` {
				t.Errorf("restored: ETag %q, %+v", r.etag(), e)
			}
			if ids := ids(b.allEvents(t, "tag=test-tag")); len(ids) != 1 {
				t.Errorf("restored event not listed: %v", ids)
			}
		})
	}
}

// TestEventWriteValidation checks that every invalid field of a write is
// named at once by its JSON Pointer, and the other bad requests.
func TestEventWriteValidation(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			post := func(body string) response { return b.write(t, "POST", "/v1/events", key, jsonType, body) }
			wantInvalid(t, "everything wrong", post(`{"id": "Bad Id", "timeline": "nope", "title": "", "date": "2020-13",
				"type": "party", "status": "maybe", "tags": ["Bad Tag", 5], "titel": "typo",
				"actors": [{"id": "csto"}, {"id": "no-such-actor", "role": "x"}, {"id": "new-person", "role": "x", "name": "New Person", "kind": "alien"}],
				"places": [{"id": "atlantis"}],
				"sources": [{"source_id": "bohdan-2020-csto", "quote": ""}, {"source_id": "unknown-src", "quote": "q"}]}`),
				"/id", "/title", "/date", "/type", "/status", "/tags/0", "/tags/1", "/titel", "/actors/0/role",
				"/actors/2/kind", "/sources/0/quote")
			wantInvalid(t, "unknown links", post(strings.Replace(strings.Replace(newEventBody("", "Links"),
				`"id": "csto", "role"`, `"id": "no-such-actor", "role"`, 1), `"id": "russia"`, `"id": "atlantis"`, 1)),
				"/actors/0/id", "/places/0/id")
			wantInvalid(t, "unknown timeline", post(strings.Replace(newEventBody("", "T"), `"csto"`, `"nope"`, 1)), "/timeline")
			wantInvalid(t, "no sources", post(`{"timeline": "csto", "title": "T", "date": "2020", "type": "statement", "status": "occurred"}`),
				"/sources")
			wantProblem(t, "malformed JSON", post(`{"title": `), 400, "malformed-body")
			wantProblem(t, "not an object", post(`[1, 2]`), 400, "malformed-body")
			wantProblem(t, "text/plain", b.write(t, "POST", "/v1/events", key, "text/plain", newEventBody("", "T")), 415, "unsupported-media-type")
			wantProblem(t, "too large", post(`{"title": "`+strings.Repeat("x", 300<<10)+`"}`), 413, "body-too-large")
			// Creating linked records inside the write.
			r := post(strings.Replace(newEventBody("with-new-actor", "New actor"), `{"id": "csto", "role": "speaker"}`,
				`{"id": "jane-doe", "role": "speaker", "name": "Jane Doe", "kind": "person"}`, 1))
			r.wantStatus(t, 201)
			b.get(t, "/v1/actors/jane-doe").wantStatus(t, 200)
			// Names are unique: a second actor may not take Jane's name.
			wantInvalid(t, "duplicate name", b.write(t, "POST", "/v1/actors", key, jsonType,
				`{"id": "jane-2", "name": "jane  DOE", "kind": "person"}`), "/name")
		})
	}
}

// TestEventWriteRace has many editors write the same version at once:
// exactly one wins, the rest get 412, and the event ends as the winner
// wrote it.
func TestEventWriteRace(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			b.write(t, "POST", "/v1/events", key, jsonType, newEventBody("raced", "Start")).wantStatus(t, 201)
			const writers = 12
			for round := 1; round <= 3; round++ {
				etag := fmt.Sprintf(`"v%d"`, round)
				statuses := make([]int, writers)
				var wg sync.WaitGroup
				for i := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						body := fmt.Sprintf(`{"title": "round %d writer %d"}`, round, i)
						statuses[i] = b.write(t, "PATCH", "/v1/events/raced", key, mergeType, body, "If-Match", etag).status
					}()
				}
				wg.Wait()
				winner := -1
				for i, s := range statuses {
					switch s {
					case 200:
						if winner >= 0 {
							t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
						}
						winner = i
					case 412:
					default:
						t.Fatalf("round %d: writer %d got %d, want 200 or 412", round, i, s)
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: nobody won: %v", round, statuses)
				}
				var e eventDoc
				r := b.get(t, "/v1/events/raced")
				r.decode(t, &e)
				if want := fmt.Sprintf("round %d writer %d", round, winner); e.Title != want || r.etag() != fmt.Sprintf(`"v%d"`, round+1) {
					t.Fatalf("round %d: got %q at %s, want %q", round, e.Title, r.etag(), want)
				}
			}
		})
	}
}

// TestWriteInvalidatesCaches checks that a write moves the listing ETags
// and what /v1/years and /v1/facets count at once, and that a cursor taken
// before a write still pages without repeats or gaps.
func TestWriteInvalidatesCaches(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			list := b.get(t, "/v1/events?year=2020")
			years := b.get(t, "/v1/years")
			count2020 := func() int {
				var y struct{ Data []struct{ Year, Count int } }
				b.get(t, "/v1/years").decode(t, &y)
				for _, d := range y.Data {
					if d.Year == 2020 {
						return d.Count
					}
				}
				return 0
			}
			before := count2020()
			first := b.events(t, "limit=5")
			b.write(t, "POST", "/v1/events", key, jsonType, newEventBody("cache-buster", "New")).wantStatus(t, 201)
			b.write(t, "POST", "/v1/events", key, jsonType,
				strings.Replace(newEventBody("early-one", "Early"), "2020-05-26", "1900-01-01~", 1)).wantStatus(t, 201)
			r := b.do(t, "GET", "/v1/events?year=2020", http.Header{"If-None-Match": {list.header.Get("ETag")}})
			if r.status != 200 || r.header.Get("ETag") == list.header.Get("ETag") {
				t.Errorf("list after a write: got %d with ETag %s, want 200 and a new ETag", r.status, r.header.Get("ETag"))
			}
			if b.get(t, "/v1/years").header.Get("ETag") == years.header.Get("ETag") {
				t.Errorf("years ETag did not move")
			}
			if got := count2020(); got != before+1 {
				t.Errorf("2020 count: got %d, want %d", got, before+1)
			}
			var f struct{ Tags []struct{ Value string } }
			_ = f
			facets := b.get(t, "/v1/facets?tag=test-tag")
			if !strings.Contains(string(facets.body), "test-tag") {
				t.Errorf("facets do not count the new event's tag: %s", truncate(string(facets.body)))
			}
			// The cursor from before the writes: the rest of the listing
			// follows it, the new later event once, the earlier one not.
			seen := map[string]bool{}
			for _, e := range first.Data {
				seen[e.ID] = true
			}
			rest := b.allEvents(t, strings.TrimPrefix((*first.Links.Next)[strings.Index(*first.Links.Next, "?")+1:], "?"))
			for _, e := range rest {
				if seen[e.ID] {
					t.Errorf("%s repeated after the cursor", e.ID)
				}
				seen[e.ID] = true
			}
			if !seen["cache-buster"] || seen["early-one"] {
				t.Errorf("after the cursor: cache-buster seen %v (want true), early-one seen %v (want false)",
					seen["cache-buster"], seen["early-one"])
			}
			all := b.allEvents(t, "")
			if len(seen) != len(all)-1 {
				t.Errorf("paged %d events, want %d (all but the earlier one)", len(seen), len(all)-1)
			}
		})
	}
}

// TestIdempotentRetry retries a POST whose connection dropped before the
// answer: the event exists once, and the retry gets the first response.
func TestIdempotentRetry(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			body := newEventBody("", "Posted once")
			// The first attempt: the whole request reaches the server, and
			// the client hangs up before the answer.
			u, _ := url.Parse(b.server.URL)
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"+
				"Idempotency-Key: retry-1\r\nContent-Length: %d\r\n\r\n%s", u.Host, key, jsonType, len(body), body)
			conn.Close()
			// Retry once the server has the request (it claims the key first).
			for i := 0; ; i++ {
				var n int64
				if err := b.store.DB().Raw("SELECT count(*) FROM idempotency_keys WHERE idem_key = 'retry-1'").Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if i == 500 {
					t.Fatal("the server never got the request the client hung up on")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Retry until the first run has answered (409 while in flight).
			var r response
			for range 100 {
				r = b.write(t, "POST", "/v1/events", key, jsonType, body, "Idempotency-Key", "retry-1")
				if r.status != 409 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			r.wantStatus(t, 201)
			// The first run finished although its client had gone: this
			// is its replay (unless the retry overtook it, which the
			// in-flight 409 above waits out).
			if r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("first retry after the hang-up: got Idempotent-Replayed %q, want true", r.header.Get("Idempotent-Replayed"))
			}
			again := b.write(t, "POST", "/v1/events", key, jsonType, body, "Idempotency-Key", "retry-1")
			again.wantStatus(t, 201)
			if again.header.Get("Location") != r.header.Get("Location") || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay: got Location %q (replayed %q), want %q", again.header.Get("Location"),
					again.header.Get("Idempotent-Replayed"), r.header.Get("Location"))
			}
			if n := len(b.allEvents(t, "q=posted")); n != 1 {
				var titles []string
				for _, e := range b.allEvents(t, "tag=test-tag") {
					titles = append(titles, e.ID)
				}
				t.Errorf("got %d events titled \"Posted once\", want 1: %v", n, titles)
			}
			wantProblem(t, "same key, other request", b.write(t, "POST", "/v1/events", key, jsonType,
				newEventBody("", "Another"), "Idempotency-Key", "retry-1"), 422, "idempotency-key-reused")
			// Keys are scoped to the API key: another key may use the same one.
			other := b.newKey(t, models.ScopeEventsWrite, "", 0)
			b.write(t, "POST", "/v1/events", other, jsonType, body, "Idempotency-Key", "retry-1").wantStatus(t, 201)
			// Expired records are swept.
			if n, err := b.store.SweepIdempotency(context.Background(), time.Now().Add(models.IdempotencyTTL+time.Minute)); err != nil || n < 2 {
				t.Errorf("sweep: got %d, %v; want at least 2 deleted", n, err)
			}
		})
	}
}

// TestSeedWritesRevisions checks that the seed loader writes through the
// same path: each seeded event has a revision attributed to the seed.
func TestSeedWritesRevisions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var revs struct {
			Data []struct {
				Action string `json:"action"`
				KeyID  string `json:"key_id"`
			} `json:"data"`
		}
		r := b.get(t, "/v1/events/csto-2019-10-battle-brotherhood/revisions")
		r.wantStatus(t, 200)
		r.decode(t, &revs)
		if len(revs.Data) != 1 || revs.Data[0].Action != "create" || revs.Data[0].KeyID != models.SeedKeyID {
			t.Errorf("got revisions %+v, want one create by the seed", revs.Data)
		}
	})
}

// TestRecordWrites creates and patches a timeline, an actor, a place and a
// source, and deletes a timeline only when it holds no events.
func TestRecordWrites(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			r := b.write(t, "POST", "/v1/timelines", admin, jsonType, `{"id": "belarus", "title": "Belarus", "sources": ["bohdan-2020-csto"]}`)
			r.wantStatus(t, 201)
			if r.header.Get("Location") != "/v1/timelines/belarus" || r.etag() != `"v1"` {
				t.Errorf("timeline create: Location %q ETag %q", r.header.Get("Location"), r.etag())
			}
			g := b.get(t, "/v1/timelines/belarus")
			g.wantStatus(t, 200)
			r = b.write(t, "PATCH", "/v1/timelines/belarus", admin, mergeType, `{"description": "Minsk and the CSTO"}`, "If-Match", g.etag())
			r.wantStatus(t, 200)
			if r.etag() != `"v2"` || !strings.Contains(string(r.body), "Minsk") {
				t.Errorf("timeline patch: ETag %q body %s", r.etag(), r.body)
			}
			wantInvalid(t, "timeline unknown field", b.write(t, "PATCH", "/v1/timelines/belarus", admin, mergeType,
				`{"titel": "x"}`, "If-Match", `"v2"`), "/titel")
			b.write(t, "POST", "/v1/events", admin, jsonType,
				strings.Replace(newEventBody("in-belarus", "E"), `"csto"`, `"belarus"`, 1)).wantStatus(t, 201)
			wantProblem(t, "delete with events", b.write(t, "DELETE", "/v1/timelines/belarus", admin, "", "", "If-Match", `"v2"`), 409, "conflict")
			b.write(t, "DELETE", "/v1/events/in-belarus", admin, "", "", "If-Match", `"v1"`).wantStatus(t, 204)
			b.write(t, "DELETE", "/v1/timelines/belarus", admin, "", "", "If-Match", `"v2"`).wantStatus(t, 204)
			b.get(t, "/v1/timelines/belarus").wantStatus(t, 404)

			r = b.write(t, "POST", "/v1/actors", admin, jsonType, `{"id": "john-roe", "name": "John Roe", "kind": "person", "aliases": ["J. Roe"]}`)
			r.wantStatus(t, 201)
			r = b.write(t, "PATCH", "/v1/actors/john-roe", admin, mergeType, `{"name": "John Q. Roe"}`, "If-Match", r.etag())
			r.wantStatus(t, 200)
			var a struct{ Name string }
			b.get(t, "/v1/actors/john-roe").decode(t, &a)
			if a.Name != "John Q. Roe" {
				t.Errorf("actor after patch: %q", a.Name)
			}
			// Renaming an actor changes the events that show it: their ETags move.
			before := b.get(t, "/v1/events/csto-2019-10-battle-brotherhood")
			crrf := b.get(t, "/v1/actors/crrf")
			b.write(t, "PATCH", "/v1/actors/crrf", admin, mergeType, `{"name": "Collective Rapid Reaction Forces"}`,
				"If-Match", crrf.etag()).wantStatus(t, 200)
			after := b.get(t, "/v1/events/csto-2019-10-battle-brotherhood")
			if after.etag() == before.etag() || !strings.Contains(string(after.body), "Reaction Forces") {
				t.Errorf("event after its actor's rename: ETag %s (was %s)", after.etag(), before.etag())
			}
			b.write(t, "POST", "/v1/places", admin, jsonType, `{"id": "gomel", "name": "Gomel", "kind": "city", "country": "belarus"}`).wantStatus(t, 201)
			wantInvalid(t, "place with unknown country", b.write(t, "POST", "/v1/places", admin, jsonType,
				`{"id": "x-city", "name": "X City", "kind": "city", "country": "nowhere"}`), "/country")
			r = b.write(t, "POST", "/v1/sources", admin, jsonType, `{"id": "new-src", "title": "A new source", "published_date": "2021-02-03"}`)
			r.wantStatus(t, 201)
			b.write(t, "PATCH", "/v1/sources/new-src", admin, mergeType, `{"author": "A. Author"}`, "If-Match", `"v1"`).wantStatus(t, 200)
			wantProblem(t, "source stale", b.write(t, "PATCH", "/v1/sources/new-src", admin, mergeType, `{"author": "B"}`,
				"If-Match", `"v1"`), 412, "precondition-failed")
		})
	}
}
