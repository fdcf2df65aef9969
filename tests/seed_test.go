package tests

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// TestQuotesAreVerbatim checks that every event served has a source with a
// non-empty quote found verbatim in the text the repository ships for it
// (seed/sources/<id>.txt, the normalized article; TestSourceTextIsNormalized
// ties it to the original).
func TestQuotesAreVerbatim(t *testing.T) {
	article, ok := seed.SourceText("bohdan-2020-csto")
	if !ok {
		t.Fatal("the seed does not embed the text of bohdan-2020-csto")
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		events := b.allEvents(t, "limit=100")
		if len(events) < 25 {
			t.Fatalf("got %d events, want well over twenty", len(events))
		}
		for _, e := range events {
			if len(e.Sources) == 0 {
				t.Errorf("%s: no sources", e.ID)
			}
			for _, s := range e.Sources {
				if strings.TrimSpace(s.Quote) == "" || !strings.Contains(article, s.Quote) {
					t.Errorf("%s: quote %q is not verbatim in the article", e.ID, s.Quote)
				}
				if s.Author != "Siarhei Bohdan" || s.PublishedDate != "2020-06-29" || s.Title == "" {
					t.Errorf("%s: got source %+v, want Bohdan's article of 2020-06-29", e.ID, s)
				}
			}
		}
	})
}

// TestSeedRejectsMisquote refuses to load a quote that is not in the text.
func TestSeedRejectsMisquote(t *testing.T) {
	quote := "Up until 2002, the organization existed almost exclusively on paper."
	bad := bytes.Replace(seed.CSTO, []byte(quote), []byte("Up until 2002, the organization existed only on paper."), 1)
	if bytes.Equal(bad, seed.CSTO) {
		t.Fatal("the seed no longer has the 2002 quote this test edits")
	}
	for _, b := range freshBackends(t) {
		_, err := seed.Load(context.Background(), b.store, bad)
		if err == nil || !strings.Contains(err.Error(), "csto-2002-activation") {
			t.Errorf("%s: got %v, want an error naming csto-2002-activation", b.name, err)
		}
	}
}

type snapshot struct {
	ID        string
	UpdatedAt string
	Hash      string
}

func snapshotEvents(t *testing.T, s *models.Store) []snapshot {
	t.Helper()
	var rows []snapshot
	if err := s.DB().Raw("SELECT id, CAST(updated_at AS TEXT) AS updated_at, content_hash AS hash FROM events ORDER BY id").
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func countRows(t *testing.T, s *models.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"timelines", "sources", "actors", "actor_aliases", "places", "events",
		"event_actors", "event_places", "event_tags", "citations"} {
		var n int64
		if err := s.DB().Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestSeedIsIdempotent loads the seed again and again: nothing changes.
func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			before, counts := snapshotEvents(t, b.store), countRows(t, b.store)
			for i := 0; i < 2; i++ {
				rep, err := seed.Load(ctx, b.store, seed.CSTO)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Created != 0 || rep.Updated != 0 || len(rep.Orphans) != 0 || rep.Unchanged == 0 {
					t.Errorf("load %d: got %+v, want everything unchanged", i+2, rep)
				}
			}
			if diff := cmp.Diff(before, snapshotEvents(t, b.store)); diff != "" {
				t.Errorf("events changed on reload (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(counts, countRows(t, b.store)); diff != "" {
				t.Errorf("row counts changed on reload (-before +after):\n%s", diff)
			}
		})
	}
}

// TestSeedEditAndRemoval edits an event in the file and drops another: the
// edit lands, the dropped event stays and is reported.
func TestSeedEditAndRemoval(t *testing.T) {
	ctx := context.Background()
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	var edited []byte
	edited = bytes.Replace(seed.CSTO, []byte(`title: "`+titleOf(f, "csto-2002-activation")+`"`), []byte(`title: "The CSTO is activated"`), 1)
	// Remove the last event of the file.
	last := f.Events[len(f.Events)-1].ID
	i := bytes.LastIndex(edited, []byte("  - id: "+last))
	if i < 0 || bytes.Equal(edited, seed.CSTO) {
		t.Fatal("could not edit the seed file")
	}
	edited = edited[:i]
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			before := map[string]snapshot{}
			for _, s := range snapshotEvents(t, b.store) {
				before[s.ID] = s
			}
			rep, err := seed.Load(ctx, b.store, edited)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Updated != 1 || rep.Created != 0 || !cmp.Equal(rep.Orphans, []string{last}) {
				t.Errorf("got %+v, want 1 updated and orphan %s", rep, last)
			}
			r := b.get(t, "/v1/events/csto-2002-activation")
			r.wantStatus(t, http.StatusOK)
			var e eventDoc
			r.decode(t, &e)
			if e.Title != "The CSTO is activated" {
				t.Errorf("got title %q, want the edited one", e.Title)
			}
			b.get(t, "/v1/events/"+last).wantStatus(t, http.StatusOK)
			for _, s := range snapshotEvents(t, b.store) {
				changed := s != before[s.ID]
				if changed != (s.ID == "csto-2002-activation") {
					t.Errorf("%s: changed=%v, want only csto-2002-activation changed", s.ID, changed)
				}
			}
		})
	}
}

func titleOf(f *seed.File, id string) string {
	for _, e := range f.Events {
		if e.ID == id {
			return e.Title
		}
	}
	return ""
}

// TestSeedIsAllOrNothing: a file with one broken event writes nothing.
func TestSeedIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	edited := bytes.Replace(seed.CSTO, []byte(`title: "The CSTO's almost purely paper existence ends in 2002"`), []byte(`title: "Changed"`), 1)
	// A reference to an actor that does not exist fails at the database.
	edited = bytes.Replace(edited, []byte("      - id: crrf\n"), []byte("      - id: no-such-actor\n"), 1)
	if bytes.Equal(edited, seed.CSTO) || !bytes.Contains(edited, []byte("no-such-actor")) {
		t.Fatal("could not edit the seed file")
	}
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			before := snapshotEvents(t, b.store)
			if _, err := seed.Load(ctx, b.store, edited); err == nil {
				t.Fatal("got nil error, want the load to fail on an unknown actor")
			}
			if diff := cmp.Diff(before, snapshotEvents(t, b.store)); diff != "" {
				t.Errorf("a failed load changed events (-before +after):\n%s", diff)
			}
		})
	}
}
