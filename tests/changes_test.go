package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// feedChange is one change as the feed serves it.
type feedChange struct {
	Kind     string          `json:"kind"`
	ID       string          `json:"id"`
	Timeline *string         `json:"timeline"`
	Change   string          `json:"change"`
	Revision int64           `json:"revision"`
	Version  int64           `json:"version"`
	Time     time.Time       `json:"time"`
	Resource json.RawMessage `json:"resource"`
	Token    string          `json:"token"`
}

type feedPage struct {
	Changes []feedChange `json:"changes"`
	HasMore bool         `json:"has_more"`
	Links   struct {
		Self string `json:"self"`
		Next string `json:"next"`
	} `json:"links"`
}

// fetchFeed reads one page of the feed; safe to call from any goroutine.
func fetchFeed(client *http.Client, base, path string) (feedPage, error) {
	var page feedPage
	res, err := client.Get(base + path)
	if err != nil {
		return page, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return page, err
	}
	if res.StatusCode != http.StatusOK {
		return page, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, body)
	}
	return page, json.Unmarshal(body, &page)
}

// mirror replays the feed into the state of every event.
type mirror struct {
	seen   map[string]bool   // kind/id/revision
	events map[string]string // id -> document, for live events
	gone   map[string]bool   // retracted ids
	// last is each event's last revision seen.
	last map[string]int64
}

func newMirror() *mirror {
	return &mirror{seen: map[string]bool{}, events: map[string]string{}, gone: map[string]bool{}, last: map[string]int64{}}
}

// apply replays c, returning an error when it repeats a change or comes
// out of revision order.
func (m *mirror) apply(c feedChange) error {
	key := fmt.Sprintf("%s/%s/%d", c.Kind, c.ID, c.Revision)
	if m.seen[key] {
		return fmt.Errorf("change %s seen twice", key)
	}
	m.seen[key] = true
	if c.Kind != models.KindEvent {
		return nil
	}
	if want := m.last[c.ID] + 1; c.Revision != want {
		return fmt.Errorf("event %s: got revision %d after %d, want %d", c.ID, c.Revision, m.last[c.ID], want)
	}
	m.last[c.ID] = c.Revision
	switch c.Change {
	case "retract":
		if string(c.Resource) != "null" {
			return fmt.Errorf("retraction of %s carries a body: %s", c.ID, c.Resource)
		}
		delete(m.events, c.ID)
		m.gone[c.ID] = true
	default:
		delete(m.gone, c.ID)
		m.events[c.ID] = canonicalJSON(c.Resource)
	}
	return nil
}

func canonicalJSON(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid: " + string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestChangeFeedConcurrentWriters runs writers that create, update and
// retract events with random pauses inside their transactions (the
// write's Allow hook runs in the transaction, after the row is locked),
// some of them several writes in one transaction, while a follower reads
// the feed as fast as it can. The follower must see every committed
// change exactly once, each event's revisions in order, and replay to the
// database's state.
func TestChangeFeedConcurrentWriters(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) { testFeedConcurrentWriters(t, b) })
	}
}

func testFeedConcurrentWriters(t *testing.T, b *backend) {
	ctx := context.Background()
	writers, writesEach := 8, 25
	pause := func(string) error {
		time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		return nil
	}
	meta := models.WriteMeta{KeyID: "test", Allow: pause}

	var wg sync.WaitGroup
	var failed atomic.Value
	fail := func(err error) { failed.CompareAndSwap(nil, err) }
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writesEach {
				id := fmt.Sprintf("feed-w%d-%d", w, i%6) // ids repeat: updates and retractions
				if err := feedWrite(ctx, b.store, id, fmt.Sprintf("Writer %d write %d", w, i), meta); err != nil {
					fail(fmt.Errorf("writer %d: %w", w, err))
					return
				}
			}
		}()
	}
	// A writer of several changes in one transaction.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 10 {
			err := b.store.InTx(ctx, func(tx *models.Store) error {
				for j := range 3 {
					d := feedDoc(fmt.Sprintf("feed-batch-%d-%d", i, j), "Batch write")
					if _, _, err := tx.CreateEvent(ctx, d, meta); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				fail(fmt.Errorf("batch writer: %w", err))
				return
			}
		}
	}()

	done := make(chan struct{})
	m := newMirror()
	followErr := make(chan error, 1)
	polls := 0
	go func() {
		client := &http.Client{}
		next := "/v1/changes?limit=7"
		finished := false
		for {
			page, err := fetchFeed(client, b.server.URL, next)
			polls++
			if err != nil {
				followErr <- err
				return
			}
			for _, c := range page.Changes {
				if err := m.apply(c); err != nil {
					followErr <- err
					return
				}
			}
			next = page.Links.Next
			if finished && len(page.Changes) == 0 {
				followErr <- nil
				return
			}
			select {
			case <-done:
				finished = true // read on until the feed is drained
			default:
			}
		}
	}()
	wg.Wait()
	close(done)
	if err := <-followErr; err != nil {
		t.Fatalf("follower: %v", err)
	}
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d polls, %d changes", polls, len(m.seen))

	// Every committed revision was seen exactly once.
	var revs []struct {
		EventID  string
		Revision int64
	}
	if err := b.store.DB().Raw("SELECT event_id, revision FROM event_revisions").Scan(&revs).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range revs {
		want[fmt.Sprintf("event/%s/%d", r.EventID, r.Revision)] = true
	}
	gotEvents := map[string]bool{}
	for k := range m.seen {
		if len(k) > 6 && k[:6] == "event/" {
			gotEvents[k] = true
		}
	}
	if diff := cmp.Diff(want, gotEvents); diff != "" {
		t.Errorf("event changes seen vs revisions recorded (-want +got):\n%s", diff)
	}

	// The replayed state is the database's.
	dbEvents := map[string]string{}
	var ids []string
	if err := b.store.DB().Raw("SELECT id FROM events").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		e, err := b.store.FindEventByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(models.DocOf(e))
		dbEvents[id] = canonicalJSON(raw)
	}
	if diff := cmp.Diff(dbEvents, m.events); diff != "" {
		t.Errorf("replayed events vs database (-db +replayed):\n%s", diff)
	}
	var retracted []string
	if err := b.store.DB().Raw("SELECT id FROM retracted_events").Scan(&retracted).Error; err != nil {
		t.Fatal(err)
	}
	var gone []string
	for id := range m.gone {
		gone = append(gone, id)
	}
	sort.Strings(retracted)
	sort.Strings(gone)
	if diff := cmp.Diff(retracted, gone, cmpNilEmpty); diff != "" {
		t.Errorf("retracted ids (-db +replayed):\n%s", diff)
	}
}

var cmpNilEmpty = cmp.Comparer(func(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) })

func feedDoc(id, title string) models.EventDoc {
	return models.EventDoc{ID: id, Timeline: "csto", Title: title, Date: "2020-05-26", Type: "statement", Status: "occurred",
		Actors:  []models.ActorRef{{ID: "csto", Role: "speaker"}},
		Places:  []models.PlaceRef{{ID: "russia"}},
		Sources: []models.CitationDoc{{SourceID: "bohdan-2020-csto", Quote: lavrovQuote}}}
}

// feedWrite creates id, or updates it, or retracts it, or restores it,
// by chance; a lost race (a stale version) is retried.
func feedWrite(ctx context.Context, s *models.Store, id, title string, m models.WriteMeta) error {
	for {
		_, version, err := s.FindEventVersioned(ctx, id)
		var gone *models.RetractedError
		switch {
		case errors.Is(err, models.ErrNotFound):
			_, _, err = s.CreateEvent(ctx, feedDoc(id, title), m)
			if errors.Is(err, models.ErrConflict) {
				continue // created meanwhile
			}
		case errors.As(err, &gone):
			_, _, err = s.ReplaceEvent(ctx, feedDoc(id, title), gone.Version, m)
		case err != nil:
			return err
		case rand.IntN(4) == 0:
			_, err = s.RetractEvent(ctx, id, version, m)
		default:
			_, _, err = s.ReplaceEvent(ctx, feedDoc(id, title), version, m)
		}
		var stale *models.StaleError
		if errors.As(err, &stale) || errors.As(err, &gone) || errors.Is(err, models.ErrNotFound) {
			continue
		}
		return err
	}
}

// TestChangeFeedLongPoll: a reader at the head of the feed waits with
// wait=N and is answered with the change a writer makes meanwhile (on
// PostgreSQL a writer with its own connection pool, as another instance
// would be), well before N; with nothing written it is answered empty after N, with the
// same next token.
func TestChangeFeedLongPoll(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			client := &http.Client{}
			head := "/v1/changes?limit=1000"
			for {
				page, err := fetchFeed(client, b.server.URL, head)
				if err != nil {
					t.Fatal(err)
				}
				head = page.Links.Next
				if !page.HasMore {
					break
				}
			}
			got := make(chan feedPage, 1)
			errs := make(chan error, 1)
			go func() {
				page, err := fetchFeed(client, b.server.URL, head+"&wait=20")
				if err != nil {
					errs <- err
					return
				}
				got <- page
			}()
			time.Sleep(300 * time.Millisecond) // let the reader start waiting
			if b.dsn != "" {
				// On PostgreSQL the write comes from another store, as
				// from another instance: only its NOTIFY can wake the
				// reader.
				other, err := models.Open(context.Background(), models.Config{DatabaseURL: b.dsn})
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				if _, _, err := other.CreateEvent(context.Background(), feedDoc("long-poll-1", "Long poll"),
					models.WriteMeta{KeyID: "test"}); err != nil {
					t.Fatal(err)
				}
			} else {
				key := b.newKey(t, models.ScopeEventsWrite, "", 0)
				if r := b.write(t, "POST", "/v1/events", key, jsonType, newEventBody("long-poll-1", "Long poll")); r.status != http.StatusCreated {
					t.Fatalf("create: got %d %s", r.status, r.body)
				}
			}
			select {
			case err := <-errs:
				t.Fatal(err)
			case page := <-got:
				if len(page.Changes) != 1 || page.Changes[0].ID != "long-poll-1" || page.Changes[0].Change != "create" {
					t.Fatalf("got %+v, want the creation of long-poll-1", page.Changes)
				}
				next := page.Links.Next
				page, err := fetchFeed(client, b.server.URL, "/v1/changes?wait=1&since="+sinceOf(next))
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Changes) != 0 || !sameToken(page.Links.Next, next) {
					t.Errorf("empty wait: got %d changes, next %s, want none and %s", len(page.Changes), page.Links.Next, next)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the long-poll was not answered within 15 s of the write")
			}
		})
	}
}

// sameToken compares the since parameters of two feed links.
func sameToken(a, b string) bool {
	ta, tb := sinceOf(a), sinceOf(b)
	return ta != "" && ta == tb
}

func sinceOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.Query().Get("since")
}

// TestChangeFeedNDJSONAndFilters: format=ndjson streams the same changes
// as the JSON pages, one a line; kind and timeline filter; a bad token,
// kind or wait is a problem naming the parameter.
func TestChangeFeedNDJSONAndFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var all []feedChange
		next := "/v1/changes?limit=50"
		for {
			r := b.get(t, next)
			var page feedPage
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Changes...)
			next = page.Links.Next
			if !page.HasMore {
				break
			}
		}
		if len(all) == 0 {
			t.Fatal("the seeded feed is empty")
		}
		r := b.get(t, "/v1/changes?format=ndjson")
		if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("got Content-Type %q, want application/x-ndjson", ct)
		}
		var lines []feedChange
		dec := json.NewDecoder(bytes.NewReader(r.body))
		for dec.More() {
			var c feedChange
			if err := dec.Decode(&c); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, c)
		}
		if diff := cmp.Diff(all, lines); diff != "" {
			t.Errorf("NDJSON vs JSON pages (-json +ndjson):\n%s", diff)
		}
		kinds := map[string]int{}
		for _, c := range all {
			kinds[c.Kind]++
		}
		r = b.get(t, "/v1/changes?kind=actor,place&limit=1000")
		var page feedPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Changes) != kinds["actor"]+kinds["place"] {
			t.Errorf("kind=actor,place: got %d changes, want %d", len(page.Changes), kinds["actor"]+kinds["place"])
		}
		for _, c := range page.Changes {
			if c.Kind != "actor" && c.Kind != "place" {
				t.Errorf("kind=actor,place: got a %s", c.Kind)
			}
		}
		r = b.get(t, "/v1/changes?timeline=csto&kind=event&limit=1000")
		page = feedPage{}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Changes) != kinds["event"] {
			t.Errorf("timeline=csto&kind=event: got %d changes, want %d", len(page.Changes), kinds["event"])
		}
		for _, tc := range []struct{ query, param string }{
			{"since=not-a-token", "since"},
			{"kind=events", "kind"},
			{"wait=31", "wait"},
			{"limit=0", "limit"},
			{"format=csv", "format"},
			{"format=ndjson&wait=1", "wait"},
		} {
			r := b.get(t, "/v1/changes?"+tc.query)
			p := wantProblem(t, tc.query, r, http.StatusBadRequest, "invalid-parameter")
			if len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != tc.param {
				t.Errorf("%s: got invalid_params %+v, want %s", tc.query, p.InvalidParams, tc.param)
			}
		}
	})
}

// TestEventsUpdatedSince: updated_since keeps the events changed at or
// after the time, on lists and exports alike.
func TestEventsUpdatedSince(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			time.Sleep(20 * time.Millisecond)
			since := time.Now().UTC()
			d := feedDoc("updated-since-1", "Changed after the mark")
			if _, _, err := b.store.CreateEvent(context.Background(), d, models.WriteMeta{KeyID: "test"}); err != nil {
				t.Fatal(err)
			}
			q := url.QueryEscape(since.Format(time.RFC3339Nano))
			r := b.get(t, "/v1/events?updated_since="+q)
			var page struct {
				Data []struct{ ID string } `json:"data"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			if len(page.Data) != 1 || page.Data[0].ID != "updated-since-1" {
				t.Errorf("updated_since=%s: got %+v, want only updated-since-1", since.Format(time.RFC3339Nano), page.Data)
			}
			r = b.get(t, "/v1/events.ndjson?updated_since=2000-01-01T00:00:00Z")
			if n := bytes.Count(r.body, []byte("\n")); n != 46 {
				t.Errorf("updated_since=2000: got %d events, want 46", n)
			}
		})
	}
}
