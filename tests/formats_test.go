package tests

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// csvRows fetches a CSV export and parses it with encoding/csv.
func (b *backend) csvRows(t *testing.T, path string, header http.Header) (response, []map[string]string) {
	t.Helper()
	r := b.do(t, http.MethodGet, path, header)
	r.wantStatus(t, http.StatusOK)
	records, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: parse CSV: %v", path, err)
	}
	if len(records) == 0 {
		t.Fatalf("%s: no header row", path)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, col := range records[0] {
			row[col] = rec[i]
		}
		rows = append(rows, row)
	}
	return r, rows
}

func ndjsonEvents(t *testing.T, r response) []eventDoc {
	t.Helper()
	var out []eventDoc
	for i, line := range strings.Split(strings.TrimSuffix(string(r.body), "\n"), "\n") {
		if line == "" {
			continue
		}
		var e eventDoc
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("NDJSON line %d: %v", i+1, err)
		}
		out = append(out, e)
	}
	return out
}

type timelineJSDoc struct {
	Title struct {
		Text struct{ Headline, Text string } `json:"text"`
	} `json:"title"`
	Events []struct {
		UniqueID    string         `json:"unique_id"`
		StartDate   map[string]int `json:"start_date"`
		EndDate     map[string]int `json:"end_date"`
		DisplayDate string         `json:"display_date"`
		Group       string         `json:"group"`
		Text        struct {
			Headline string `json:"headline"`
			Text     string `json:"text"`
		} `json:"text"`
	} `json:"events"`
}

// TestFormatsHoldTheSameEvents: every format of the same query holds the
// same events in the same order as the paged JSON.
func TestFormatsHoldTheSameEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, q := range []string{"", "year=2019", "type=statement&sort=-date", "from=2020-02&to=2020-05&actor=sergey-lavrov,stanislav-zas"} {
			want := ids(b.allEvents(t, q+"&limit=3"))
			if len(want) == 0 {
				t.Fatalf("?%s matches nothing", q)
			}
			_, rows := b.csvRows(t, "/v1/events?format=csv&"+q, nil)
			var csvIDs []string
			for _, row := range rows {
				csvIDs = append(csvIDs, row["id"])
			}
			_, pathRows := b.csvRows(t, "/v1/events.csv?"+q, nil)
			_, acceptRows := b.csvRows(t, "/v1/events?"+q, http.Header{"Accept": {"text/csv"}})
			r := b.get(t, "/v1/events.ndjson?"+q)
			r.wantStatus(t, http.StatusOK)
			nd := ids(ndjsonEvents(t, r))
			r = b.get(t, "/v1/events?format=timelinejs&"+q)
			r.wantStatus(t, http.StatusOK)
			var doc timelineJSDoc
			r.decode(t, &doc)
			var tjs []string
			for _, e := range doc.Events {
				tjs = append(tjs, e.UniqueID)
			}
			for name, got := range map[string][]string{"csv": csvIDs, "ndjson": nd, "timelinejs": tjs} {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("?%s %s (-json +%s):\n%s", q, name, name, diff)
				}
			}
			if len(pathRows) != len(rows) || len(acceptRows) != len(rows) {
				t.Errorf("?%s: /v1/events.csv gave %d rows, Accept: text/csv %d, format=csv %d", q, len(pathRows), len(acceptRows), len(rows))
			}
		}
	})
}

// TestCSVRoundTrip parses the CSV back and compares it with the JSON.
func TestCSVRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r, rows := b.csvRows(t, "/v1/events.csv?year=2019&type=exercise", nil)
		if got := r.header.Get("Content-Type"); got != "text/csv; charset=utf-8; header=present" {
			t.Errorf("got Content-Type %q, want text/csv; charset=utf-8; header=present", got)
		}
		if got, want := r.header.Get("Content-Disposition"), `attachment; filename="events_type-exercise_year-2019.csv"`; got != want {
			t.Errorf("got Content-Disposition %q, want %q", got, want)
		}
		if !bytes.Contains(r.body, []byte("\r\n")) || bytes.Count(r.body, []byte("\r\n")) != len(rows)+1 {
			t.Errorf("got %d CRLF line ends for %d rows, want one per row and header", bytes.Count(r.body, []byte("\r\n")), len(rows))
		}
		if got := r.header.Get("X-Total-Count"); got != strconv.Itoa(len(rows)) {
			t.Errorf("got X-Total-Count %q, want %d", got, len(rows))
		}
		if got := r.trailer.Get("X-Rows-Written"); got != strconv.Itoa(len(rows)) {
			t.Errorf("got trailer X-Rows-Written %q, want %d", got, len(rows))
		}
		events := b.events(t, "year=2019&type=exercise&limit=500").Data
		if len(rows) != len(events) || len(rows) == 0 {
			t.Fatalf("got %d CSV rows, want %d", len(rows), len(events))
		}
		for i, e := range events {
			row := rows[i]
			var actors, quotes []string
			for _, a := range e.Actors {
				actors = append(actors, a.ID)
			}
			for _, s := range e.Sources {
				quotes = append(quotes, s.Quote)
			}
			want := map[string]string{"id": e.ID, "title": e.Title, "start_date": e.StartDate, "end_date": e.EndDate,
				"date_precision": e.DatePrecision, "approximate": strconv.FormatBool(e.Approximate), "edtf": e.EDTF,
				"display_date": e.DisplayDate, "type": e.Type, "status": e.Status,
				"actor_ids": strings.Join(actors, "; "), "tags": strings.Join(e.Tags, "; "), "quotes": strings.Join(quotes, "; ")}
			got := map[string]string{}
			for k := range want {
				got[k] = row[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("row %d (-json +csv):\n%s", i, diff)
			}
		}
	})
}

// TestCSVFormulaGuard defuses spreadsheet formulas in CSV cells only.
func TestCSVFormulaGuard(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			addEvent(t, b.store, "syn-formula", "2019-03-15", "report")
			if err := b.store.DB().Exec(`UPDATE events SET title = '=HYPERLINK("http://x","y")', summary = '@SUM(A1)' WHERE id = 'syn-formula'`).Error; err != nil {
				t.Fatal(err)
			}
			bumpVersion(t, b)
			_, rows := b.csvRows(t, "/v1/events.csv?tag=synthetic", nil)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			if rows[0]["title"] != `'=HYPERLINK("http://x","y")` || rows[0]["summary"] != "'@SUM(A1)" {
				t.Errorf("got title %q, summary %q; want them prefixed with '", rows[0]["title"], rows[0]["summary"])
			}
			r := b.get(t, "/v1/events/syn-formula")
			var e struct{ Title, Summary string }
			r.decode(t, &e)
			if e.Title != `=HYPERLINK("http://x","y")` || e.Summary != "@SUM(A1)" {
				t.Errorf("JSON: got %q, %q; want the text as stored", e.Title, e.Summary)
			}
		})
	}
}

// bumpVersion marks data changed by SQL outside the store.
func bumpVersion(t *testing.T, b *backend) {
	t.Helper()
	if err := b.store.DB().Exec("UPDATE dataset_state SET version = version + 1").Error; err != nil {
		t.Fatal(err)
	}
}

// TestTimelineJSDates sends only the date parts the precision supports.
func TestTimelineJSDates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/v1/events?format=timelinejs&timeline=csto")
		r.wantStatus(t, http.StatusOK)
		var doc timelineJSDoc
		r.decode(t, &doc)
		if doc.Title.Text.Headline == "" || doc.Title.Text.Headline == "Events" {
			t.Errorf("got title %q, want the csto timeline's", doc.Title.Text.Headline)
		}
		byID := map[string]int{}
		for i, e := range doc.Events {
			byID[e.UniqueID] = i
		}
		cases := []struct {
			id         string
			start, end map[string]int
			display    string
		}{
			{"csto-2002-activation", map[string]int{"year": 2002}, nil, "2002"},
			{"csto-2019-11-bishkek-summit", map[string]int{"year": 2019, "month": 11}, nil, "November 2019"},
			{"csto-2020-05-26-lavrov-biosecurity", map[string]int{"year": 2020, "month": 5, "day": 26}, nil, "26 May 2020"},
			{"csto-2019-10-battle-brotherhood", map[string]int{"year": 2019, "month": 10, "day": 8},
				map[string]int{"year": 2019, "month": 10, "day": 29}, "8–29 October 2019"},
			{"csto-2016-model-acts-programme", map[string]int{"year": 2016}, map[string]int{"year": 2020},
				"2016–2020 (targets; under way as of June 2020)"},
			{"csto-1990s-central-asia-focus", map[string]int{"year": 1990}, map[string]int{"year": 2020, "month": 6, "day": 29},
				"since the 1990s (as of 29 June 2020)"},
		}
		for _, c := range cases {
			i, ok := byID[c.id]
			if !ok {
				t.Errorf("%s missing", c.id)
				continue
			}
			e := doc.Events[i]
			if diff := cmp.Diff([]any{c.start, c.end, c.display}, []any{e.StartDate, e.EndDate, e.DisplayDate}); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.id, diff)
			}
			if e.Text.Headline == "" || !strings.Contains(e.Text.Text, "<blockquote>") || e.Group != "" {
				t.Errorf("%s: got text %+v, group %q; want a headline, a quote and no group", c.id, e.Text, e.Group)
			}
		}
	})
}

// TestNegotiation: the format parameter wins over Accept; contradictions
// and unsupported types are errors.
func TestNegotiation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		cases := []struct {
			path, accept string
			status       int
			contentType  string
			param        string
		}{
			{"/v1/events?year=2019", "", 200, "application/json; charset=utf-8", ""},
			{"/v1/events?year=2019", "text/csv", 200, "text/csv; charset=utf-8; header=present", ""},
			{"/v1/events?year=2019", "application/x-ndjson", 200, "application/x-ndjson", ""},
			{"/v1/events?year=2019", "text/csv;q=0.5, application/json", 200, "application/json; charset=utf-8", ""},
			{"/v1/events?year=2019", "text/html,application/xhtml+xml,*/*;q=0.8", 200, "application/json; charset=utf-8", ""},
			{"/v1/events?year=2019&format=csv", "application/json", 200, "text/csv; charset=utf-8; header=present", ""},
			{"/v1/events?year=2019&format=ndjson", "text/csv", 200, "application/x-ndjson", ""},
			{"/v1/events?year=2019", "application/xml", 406, "application/problem+json", ""},
			{"/v1/events?format=xml", "", 400, "application/problem+json", "format"},
			{"/v1/events.csv?format=ndjson", "", 400, "application/problem+json", "format"},
			{"/v1/events.csv?limit=10", "", 400, "application/problem+json", "limit"},
			{"/v1/events?format=ndjson&cursor=abc", "", 400, "application/problem+json", "cursor"},
			{"/v1/events.ndjson?yaer=2019", "", 400, "application/problem+json", "yaer"},
		}
		for _, c := range cases {
			h := http.Header{}
			if c.accept != "" {
				h.Set("Accept", c.accept)
			}
			r := b.do(t, http.MethodGet, c.path, h)
			if r.status != c.status || r.header.Get("Content-Type") != c.contentType {
				t.Errorf("%s (Accept %q): got %d %q, want %d %q", c.path, c.accept, r.status, r.header.Get("Content-Type"), c.status, c.contentType)
				continue
			}
			if c.param != "" {
				var p problemDoc
				r.decode(t, &p)
				if len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != c.param {
					t.Errorf("%s: got invalid_params %+v, want %s", c.path, p.InvalidParams, c.param)
				}
			}
		}
	})
}
