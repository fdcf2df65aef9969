package tests

import (
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestEventWordsFollowWrites checks that event_words (PostgreSQL, migration
// 0012), which searches in date order read, holds exactly the lexemes of
// every event's search_vector with its start_date after each kind of write:
// create, a PUT that moves the date, a PATCH of the title, a rename of a
// linked actor (which rewrites the search text of its events) and a
// retraction; and that a search finds the event by its new words only.
func TestEventWordsFollowWrites(t *testing.T) {
	for _, b := range freshBackends(t) {
		if b.name != models.DialectPostgres {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			check := func(step, q string, want int) {
				t.Helper()
				var missing, extra int64
				if err := b.store.DB().Raw(`SELECT count(*) FROM (SELECT w.lexeme, e.start_date, e.id FROM events e,
					unnest(e.search_vector) AS w EXCEPT SELECT lexeme, start_date, event_id FROM event_words) AS x`).
					Scan(&missing).Error; err != nil {
					t.Fatal(err)
				}
				if err := b.store.DB().Raw(`SELECT count(*) FROM (SELECT lexeme, start_date, event_id FROM event_words
					EXCEPT SELECT w.lexeme, e.start_date, e.id FROM events e, unnest(e.search_vector) AS w) AS x`).
					Scan(&extra).Error; err != nil {
					t.Fatal(err)
				}
				if missing != 0 || extra != 0 {
					t.Errorf("%s: event_words lacks %d and has %d extra entries, want 0 and 0", step, missing, extra)
				}
				// event_word_months (0017): the month blocks of each lexeme
				// of the events over more than one month.
				const months = `SELECT w.lexeme, n, e.start_date, e.id FROM events e, unnest(e.search_vector) AS w,
					event_month_nodes(event_month(e.start_date) + 1, event_month(e.end_date)) AS n`
				if err := b.store.DB().Raw(`SELECT (SELECT count(*) FROM (`+months+` EXCEPT
						SELECT lexeme, node_key, start_date, event_id FROM event_word_months) AS x),
					(SELECT count(*) FROM (SELECT lexeme, node_key, start_date, event_id FROM event_word_months
						EXCEPT `+months+`) AS x)`).Row().Scan(&missing, &extra); err != nil {
					t.Fatal(err)
				}
				if missing != 0 || extra != 0 {
					t.Errorf("%s: event_word_months lacks %d and has %d extra rows, want 0 and 0", step, missing, extra)
				}
				if got := len(b.allEvents(t, q)); got != want {
					t.Errorf("%s: %s found %d events, want %d", step, q, got, want)
				}
			}
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			b.write(t, "POST", "/v1/events", admin, jsonType, newEventBody("words-one", "Zebrafinch summit")).wantStatus(t, 201)
			check("create", "q=zebrafinch&year=2020", 1)
			put := strings.Replace(newEventBody("", "Zebrafinch summit"), `"2020-05-26"`, `"1999-05-26"`, 1) // May: the quote names the month
			b.write(t, "PUT", "/v1/events/words-one", admin, jsonType, put, "If-Match", `"v1"`).wantStatus(t, 200)
			check("put", "q=zebrafinch&year=2020", 0)
			check("put", "q=zebrafinch&year=1999&sort=-date", 1)
			// No write of the API makes this span from this quote: the
			// triggers follow any write, so SQL moves the end.
			if err := b.store.DB().Exec(`UPDATE events SET end_date = '2002-03-01' WHERE id = 'words-one'`).Error; err != nil {
				t.Fatal(err)
			}
			check("end moved", "q=zebrafinch&year=2001", 1)
			check("end moved", "q=zebrafinch&year=2002&sort=-date", 1)
			check("end moved", "q=zebrafinch&from=2002-03-02", 0)
			if err := b.store.DB().Exec(`UPDATE events SET search_text = search_text || ' Wagtail' WHERE id = 'words-one'`).Error; err != nil {
				t.Fatal(err)
			}
			check("text changed", "q=wagtail&year=2000", 1)
			if err := b.store.DB().Exec(`UPDATE events SET end_date = start_date WHERE id = 'words-one'`).Error; err != nil {
				t.Fatal(err)
			}
			check("end moved back", "q=wagtail&year=2000", 0)
			if err := b.store.DB().Exec(`UPDATE events SET end_date = '2000-01-01' WHERE id = 'words-one'`).Error; err != nil {
				t.Fatal(err)
			}
			check("one year on", "q=wagtail&year=2000", 1)
			if err := b.store.DB().Exec(`UPDATE events SET end_date = '1999-06-20' WHERE id = 'words-one'`).Error; err != nil {
				t.Fatal(err)
			}
			check("one month on", "q=wagtail&from=1999-06-01&to=1999-06-30", 1)
			check("one month on", "q=wagtail&from=1999-06-21", 0)
			b.write(t, "PATCH", "/v1/events/words-one", admin, mergeType, `{"title": "Kingfisher summit"}`,
				"If-Match", `"v2"`).wantStatus(t, 200)
			check("patch", "q=zebrafinch", 0)
			check("patch", "q=kingfisher&year=1999", 1)
			g := b.get(t, "/v1/actors/csto")
			g.wantStatus(t, 200)
			b.write(t, "PATCH", "/v1/actors/csto", admin, mergeType, `{"aliases": ["Nightjarorg"]}`,
				"If-Match", g.etag()).wantStatus(t, 200)
			check("actor rename", "q=nightjarorg%20kingfisher", 1)
			e := b.get(t, "/v1/events/words-one")
			e.wantStatus(t, 200)
			b.write(t, "DELETE", "/v1/events/words-one", admin, "", "", "If-Match", e.etag()).wantStatus(t, 204)
			check("retract", "q=kingfisher", 0)
		})
	}
}
