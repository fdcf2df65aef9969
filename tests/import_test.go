package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
)

const ndjsonType = "application/x-ndjson"
const csvType = "text/csv"

// importReport is the answer of an import.
type importReport struct {
	Timeline  string `json:"timeline"`
	Mode      string `json:"mode"`
	DryRun    bool   `json:"dry_run"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Retracted int    `json:"retracted"`
	IDs       struct {
		Created, Updated, Retracted []string
	} `json:"ids"`
}

func (b *backend) importFile(t *testing.T, key, timeline, query, contentType, body string, header ...string) (importReport, response) {
	t.Helper()
	path := "/v1/timelines/" + timeline + "/import"
	if query != "" {
		path += "?" + query
	}
	r := b.write(t, "POST", path, key, contentType, body, header...)
	var rep importReport
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &rep); err != nil {
			t.Fatalf("import report: %v: %s", err, r.body)
		}
	}
	return rep, r
}

func wantReport(t *testing.T, what string, r response, got importReport, rows, created, updated, unchanged, retracted int) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: got status %d, want 200; body %s", what, r.status, truncate(string(r.body)))
	}
	want := fmt.Sprint(rows, created, updated, unchanged, retracted)
	if g := fmt.Sprint(got.Rows, got.Created, got.Updated, got.Unchanged, got.Retracted); g != want {
		t.Errorf("%s: got rows/created/updated/unchanged/retracted %s, want %s", what, g, want)
	}
}

var updatedAtJSON = regexp.MustCompile(`"updated_at":"[^"]*"`)

// TestImportRoundTrip: the NDJSON and CSV exports of the article's
// timeline import back unchanged (every row unchanged, the export again
// byte for byte the same); the NDJSON export imported into a new timeline
// exports byte for byte the same but for the timeline id and updated_at.
func TestImportRoundTrip(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			for _, tc := range []struct{ path, contentType string }{
				{"/v1/events.ndjson?timeline=csto", ndjsonType},
				{"/v1/events.csv?timeline=csto", csvType},
			} {
				before := b.get(t, tc.path)
				rep, r := b.importFile(t, key, "csto", "mode=replace", tc.contentType, string(before.body))
				wantReport(t, tc.path, r, rep, 45, 0, 0, 45, 0)
				after := b.get(t, tc.path)
				if string(after.body) != string(before.body) {
					t.Errorf("%s: the export changed after importing it", tc.path)
				}
			}
			export := b.get(t, "/v1/events.ndjson?timeline=csto").body
			if r := b.write(t, "POST", "/v1/timelines", admin, jsonType,
				`{"id": "article-copy", "title": "A copy of the article's timeline"}`); r.status != http.StatusCreated {
				t.Fatalf("create timeline: got %d %s", r.status, r.body)
			}
			rep, r := b.importFile(t, key, "article-copy", "", ndjsonType, string(export))
			wantReport(t, "into a new timeline", r, rep, 45, 0, 45, 0, 0)
			copied := b.get(t, "/v1/events.ndjson?timeline=article-copy").body
			norm := func(s []byte) string { return updatedAtJSON.ReplaceAllString(string(s), `"updated_at":""`) }
			want := strings.ReplaceAll(norm(export), `"timeline":"csto"`, `"timeline":"article-copy"`)
			if got := norm(copied); got != want {
				t.Errorf("export of the new timeline differs from the original's:\n got %s\nwant %s", truncate(got), truncate(want))
			}
		})
	}
}

const timelineJSFile = `{
  "title": {"text": {"headline": "Imported"}},
  "events": [
    {"unique_id": "tjs-year", "start_date": {"year": 2002}, "display_date": "Sometime in 2002",
     "text": {"headline": "A year &amp; only", "text": "<p>Year precision.</p>"}, "group": "summit",
     "sources": [{"source_id": "desk-notes", "quote": "Sometime in 2002."}]},
    {"unique_id": "tjs-month", "start_date": {"year": "2019", "month": "5"},
     "text": {"headline": "A month"}, "type": "meeting",
     "sources": [{"source_id": "desk-notes", "quote": "In May 2019."}]},
    {"start_date": {"year": 2020, "month": 5, "day": 26},
     "text": {"headline": "A day"}, "group": "statement",
     "sources": [{"source_id": "desk-notes", "quote": "On 26 May 2020."}]},
    {"unique_id": "tjs-span", "start_date": {"year": 2021, "month": 1}, "end_date": {"year": 2022},
     "text": {"headline": "A span"}, "group": "operation",
     "sources": [{"source_id": "desk-notes", "quote": "From January 2021 into 2022."}]}
  ]
}`

const sheetsFile = "Year,Month,Day,Time,End Year,End Month,End Day,End Time,Display Date,Headline,Text,Media,Media Credit,Media Caption,Media Thumbnail,Type,Group,Background,Source ID,Quote\r\n" +
	",,,,,,,,,Sheet title,The title slide,,,,,title,,,,\r\n" +
	"2002,,,,,,,,,Sheet year,,,,,,,summit,,desk-notes,In 2002.\r\n" +
	"2019,5,,,,,,,,Sheet month,,,,,,,meeting,,desk-notes,In May 2019.\r\n" +
	"2020,5,26,10:00,,,,,26 May,Sheet day,<p>Some <b>text</b></p>,,,,,,statement,,desk-notes,On 26 May 2020.\r\n" +
	"2021,1,,,2022,,,,,Sheet span,,,,,,,operation,,desk-notes,From January 2021 into 2022.\r\n"

// TestImportTimelineJS: a TimelineJS file and a Google Sheets template CSV
// with year-only, month, day and span rows land with the EDTF date and
// precision their parts give, display dates kept; importing again changes
// nothing.
func TestImportTimelineJS(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			b.deskSource(t)
			key := b.newKey(t, models.ScopeEventsWrite, "csto", 0)
			rep, r := b.importFile(t, key, "csto", "", jsonType, timelineJSFile)
			wantReport(t, "timelinejs", r, rep, 4, 4, 0, 0, 0)
			rep, r = b.importFile(t, key, "csto", "format=sheets", csvType, sheetsFile)
			wantReport(t, "sheets", r, rep, 4, 4, 0, 0, 0)
			for _, tc := range []struct{ id, edtf, precision, display, title string }{
				{"tjs-year", "2002", "year", "Sometime in 2002", "A year & only"},
				{"tjs-month", "2019-05", "month", "May 2019", "A month"},
				{"2020-05-26-a-day", "2020-05-26", "day", "26 May 2020", "A day"},
				{"tjs-span", "2021-01/2022", "year", "", "A span"},
				{"2002-sheet-year", "2002", "year", "2002", "Sheet year"},
				{"2019-05-sheet-month", "2019-05", "month", "May 2019", "Sheet month"},
				{"2020-05-26-sheet-day", "2020-05-26", "day", "26 May", "Sheet day"},
				{"2021-01-sheet-span", "2021-01/2022", "year", "", "Sheet span"},
			} {
				r := b.get(t, "/v1/events/"+tc.id)
				if r.status != http.StatusOK {
					t.Errorf("%s: got %d, want 200: %s", tc.id, r.status, truncate(string(r.body)))
					continue
				}
				var e struct {
					Title, EDTF, DatePrecision, DisplayDate string
				}
				var raw map[string]any
				_ = json.Unmarshal(r.body, &raw)
				e.Title, e.EDTF, e.DatePrecision, e.DisplayDate = raw["title"].(string), raw["edtf"].(string),
					raw["date_precision"].(string), raw["display_date"].(string)
				if e.EDTF != tc.edtf || e.DatePrecision != tc.precision || e.Title != tc.title ||
					(tc.display != "" && e.DisplayDate != tc.display) {
					t.Errorf("%s: got %+v, want edtf %s, precision %s, display %q, title %q", tc.id, e, tc.edtf, tc.precision,
						tc.display, tc.title)
				}
			}
			rep, r = b.importFile(t, key, "csto", "", jsonType, timelineJSFile)
			wantReport(t, "timelinejs again", r, rep, 4, 0, 0, 4, 0)
			rep, r = b.importFile(t, key, "csto", "", csvType, sheetsFile)
			wantReport(t, "sheets again", r, rep, 4, 0, 0, 4, 0)
		})
	}
}

// TestImportProblems: an import with errors on several lines is refused
// whole with a 422 naming every line and field, and writes nothing; a
// dry run reports without writing; mode=replace retracts the events the
// file leaves out, with revisions and feed changes; an Idempotency-Key
// retry replays; a key for another timeline is refused.
func TestImportProblems(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			key := b.newKey(t, models.ScopeEventsWrite, "csto", 0)
			export := string(b.get(t, "/v1/events.ndjson?timeline=csto").body)
			lines := strings.Split(strings.TrimSuffix(export, "\n"), "\n")
			bad := append([]string{}, lines...)
			bad[2] = strings.Replace(bad[2], `"type":"`, `"type":"no-such-`, 1)
			bad[5] = strings.Replace(bad[5], `"title":"`, `"title":"`+strings.Repeat("x", 400), 1)
			bad[9] = `{"id": "broken"`
			bad[10] = strings.Replace(bad[10], `"edtf":"`, `"edtf":"20x`, 1)
			feedBefore := len(readFeed(t, b))
			_, r := b.importFile(t, key, "csto", "", ndjsonType, strings.Join(bad, "\n")+"\n")
			wantInvalid(t, "bad lines", r, "line 3: /type", "line 6: /title", "line 10: ", "line 11: /date")
			if got := len(readFeed(t, b)); got != feedBefore {
				t.Errorf("a refused import changed the feed: %d changes, want %d", got, feedBefore)
			}

			newLine := strings.Replace(strings.Replace(lines[0], `"id":"`, `"id":"new-`, 1), `"title":"`, `"title":"New: `, 1)
			changed := strings.Replace(lines[1], `"summary":"`, `"summary":"Changed. `, 1)
			subset := []string{newLine, changed}
			subset = append(subset, lines[2:40]...)
			file := strings.Join(subset, "\n") + "\n"
			rep, r := b.importFile(t, key, "csto", "mode=replace&dry_run=true", ndjsonType, file)
			wantReport(t, "dry run", r, rep, 40, 1, 1, 38, 6)
			if !rep.DryRun || len(rep.IDs.Retracted) != 6 {
				t.Errorf("dry run: got %+v", rep)
			}
			if got := len(readFeed(t, b)); got != feedBefore {
				t.Errorf("a dry run changed the feed: %d changes, want %d", got, feedBefore)
			}
			if ids, _ := b.store.EventIDs(ctx, "csto"); len(ids) != 45 {
				t.Errorf("after a dry run: got %d events, want 45", len(ids))
			}

			rep, r = b.importFile(t, key, "csto", "mode=replace", ndjsonType, file, "Idempotency-Key", "import-1")
			wantReport(t, "replace", r, rep, 40, 1, 1, 38, 6)
			again := b.write(t, "POST", "/v1/timelines/csto/import?mode=replace", key, ndjsonType, file, "Idempotency-Key", "import-1")
			if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(r.body) {
				t.Errorf("retry with the same Idempotency-Key: got %d %s, want the first answer replayed", again.status, again.body)
			}
			rep, r = b.importFile(t, key, "csto", "mode=replace", ndjsonType, file)
			wantReport(t, "replace again", r, rep, 40, 0, 0, 40, 0)
			feed := readFeed(t, b)
			if got := len(feed) - feedBefore; got != 8 {
				t.Errorf("the import added %d changes to the feed, want 8 (1 create, 1 update, 6 retractions)", got)
			}
			for _, id := range rep.IDs.Retracted {
				revs, _, err := b.store.FindRevisions(ctx, id, 0, 1)
				if err != nil || len(revs) == 0 || revs[0].Action != "retract" {
					t.Errorf("%s: got last revision %+v (%v), want a retraction", id, revs, err)
				}
			}
			if _, err := b.store.WriteTimeline(ctx, models.Timeline{ID: "other-timeline", Title: "Other"}, true, 0); err != nil {
				t.Fatal(err)
			}
			other := b.newKey(t, models.ScopeEventsWrite, "other-timeline", 0)
			_, r = b.importFile(t, other, "csto", "", ndjsonType, file)
			if r.status != http.StatusForbidden {
				t.Errorf("a key for another timeline: got %d, want 403", r.status)
			}
		})
	}
}

func readFeed(t *testing.T, b *backend) []feedChange {
	t.Helper()
	var all []feedChange
	next := "/v1/changes?limit=1000"
	for {
		r := b.get(t, next)
		var page feedPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatalf("feed: %v", err)
		}
		all = append(all, page.Changes...)
		next = page.Links.Next
		if !page.HasMore {
			return all
		}
	}
}

// TestImportBodyLimit: a body past the configured limit is a 413, whether
// its length is declared or not, and nothing is written.
func TestImportBodyLimit(t *testing.T) {
	b := shared[len(shared)-1]
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	router, err := api.New(b.store, api.Config{Spec: spec, CursorKey: []byte("test-key"), ImportBodyLimit: 4096})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	defer srv.Close()
	key := b.newKey(t, models.ScopeEventsWrite, "csto", 0)
	body := strings.Repeat(`{"id": "x"}`+"\n", 1000)
	for _, chunked := range []bool{false, true} {
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("POST", srv.URL+"/v1/timelines/csto/import", rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ndjsonType)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: got %d %s, want 413", chunked, res.StatusCode, data)
		}
	}
}
