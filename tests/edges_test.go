package tests

// Edges found by attacking the running service: strict cursors,
// conditional requests on missing resources, HEAD under compression,
// Last-Modified within one second, oversized headers, percent-encoded
// paths, export trailers, TimelineJS escaping, and what notebooks expect
// (meta.total, /v1/events.json, integer facet years).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rawResponse is an HTTP/1.1 response read byte for byte off the wire.
type rawResponse struct {
	status int
	header http.Header
	// body is the message body as sent: chunk sizes and trailers included
	// when chunked.
	body []byte
}

// rawRequest writes head (a request line and header fields, without the
// blank line) to base's host over a fresh TCP connection, adds
// "Connection: close", and reads the whole answer. net/http's client would
// clean the path or add fields of its own; this sends exactly what it is
// given.
func rawRequest(t *testing.T, base, head string) rawResponse {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, head+"\r\nHost: "+u.Host+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read the answer to %q: %v", firstLine(head), err)
	}
	headEnd := bytes.Index(all, []byte("\r\n\r\n"))
	if headEnd < 0 {
		t.Fatalf("%q: no complete response head in %q", firstLine(head), truncate(string(all)))
	}
	lines := strings.Split(string(all[:headEnd]), "\r\n")
	fields := strings.Fields(lines[0])
	if len(fields) < 2 {
		t.Fatalf("%q: status line %q", firstLine(head), lines[0])
	}
	r := rawResponse{header: http.Header{}, body: all[headEnd+4:]}
	r.status, _ = strconv.Atoi(fields[1])
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		r.header.Add(k, strings.TrimSpace(v))
	}
	return r
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// edgeProblem fails unless r is a problem with the status whose
// invalid_params name param (when param is not empty).
func edgeProblem(t *testing.T, what string, r response, status int, param string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: got %d %s, want %d application/problem+json; body %s", what, r.status, r.header.Get("Content-Type"),
			status, truncate(string(r.body)))
		return
	}
	if param == "" {
		return
	}
	var p problemDoc
	r.decode(t, &p)
	if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != param {
		t.Errorf("%s: got invalid_params %+v, want one naming %q", what, p.InvalidParams, param)
	}
}

// TestEventsCursorIsStrict: an empty, repeated or over-long cursor on
// /v1/events is a 400 naming cursor, as on the catalog lists, never the
// first page again.
func TestEventsCursorIsStrict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		next := *b.events(t, "limit=2").Links.Next
		u, _ := url.Parse(next)
		cursor := u.Query().Get("cursor")
		for _, q := range []string{"cursor=", "limit=2&cursor=", "limit=2&cursor=" + cursor + "&cursor=" + cursor,
			"cursor=" + strings.Repeat("a", 600), "cursor=" + strings.Repeat("a", 2000)} {
			for _, path := range []string{"/v1/events?", "/v1/events.json?"} {
				edgeProblem(t, path+truncate(q), b.get(t, path+q), http.StatusBadRequest, "cursor")
			}
		}
		if r := b.get(t, next); r.status != http.StatusOK {
			t.Errorf("links.next: got %d, want 200", r.status)
		}
	})
}

// TestConditionalOnMissingIs404: If-None-Match: * and a recent
// If-Modified-Since on a resource that does not exist answer 404, never
// 304: the API's resources, the pages of an event or a timeline, and the
// oEmbed of a timeline that does not exist.
func TestConditionalOnMissingIs404(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		soon := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		for _, path := range []string{"/v1/events/no-such-id", "/v1/actors/no-such-id", "/v1/places/no-such-id",
			"/v1/timelines/no-such-id", "/events/no-such-id", "/timelines/no-such-id", "/embed/timelines/no-such-id",
			"/oembed?url=" + url.QueryEscape(b.server.URL+"/timelines/no-such-id")} {
			for _, h := range []http.Header{{"If-None-Match": {"*"}}, {"If-Modified-Since": {soon}},
				{"If-None-Match": {`"x", *`}}} {
				for _, method := range []string{http.MethodGet, http.MethodHead} {
					r := b.do(t, method, path, h)
					if r.status != http.StatusNotFound {
						t.Errorf("%s %s with %v: got %d, want 404", method, path, h, r.status)
					}
				}
			}
		}
		// An existing resource still answers 304.
		for _, path := range []string{"/v1/events/csto-2002-activation", "/v1/actors/csto", "/v1/timelines/csto",
			"/events/csto-2002-activation", "/timelines/csto", "/embed/timelines/csto",
			"/oembed?url=" + url.QueryEscape(b.server.URL+"/timelines/csto")} {
			if r := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {"*"}}); r.status != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: *: got %d, want 304", path, r.status)
			}
		}
	})
}

// TestHeadMatchesGetUnderCompression: with Accept-Encoding: gzip, HEAD
// carries exactly the headers of GET, Content-Encoding and the -gzip ETag
// included, for pages, single resources and exports alike.
func TestHeadMatchesGetUnderCompression(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		fetch := func(method, path string) *http.Response {
			req, _ := http.NewRequest(method, b.server.URL+path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			res, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res
		}
		ignore := map[string]bool{"Date": true, "X-Request-Id": true}
		// Last-Modified is never later than Date (RFC 9110, 8.8.2.1), so it
		// may differ when the two answers have different dates.
		for _, path := range []string{"/v1/events?limit=100", "/v1/events/csto-2019-10-battle-brotherhood", "/v1/timelines",
			"/v1/facets", "/v1/actors", "/openapi.yaml", "/v1/events.csv?year=2019", "/v1/events.ndjson",
			"/v1/events?format=timelinejs", "/v1/events.csv?year=1900", "/healthz", "/v1/changes?format=ndjson",
			"/v1/changes?format=ndjson&limit=2", "/v1/changes", "/v1/timelines/csto/feed.atom", "/", "/timelines/csto",
			"/events/csto-2002-activation", "/embed/timelines/csto", "/docs", "/openapi.json"} {
			get, head := fetch(http.MethodGet, path), fetch(http.MethodHead, path)
			if head.StatusCode != get.StatusCode {
				t.Errorf("HEAD %s: got %d, GET got %d", path, head.StatusCode, get.StatusCode)
			}
			sameSecond := get.Header.Get("Date") == head.Header.Get("Date")
			strip := func(h http.Header) http.Header {
				out := http.Header{}
				for k, v := range h {
					if !ignore[k] && (sameSecond || k != "Last-Modified") {
						out[k] = v
					}
				}
				return out
			}
			if diff := cmp.Diff(strip(get.Header), strip(head.Header)); diff != "" {
				t.Errorf("HEAD %s headers (-GET +HEAD):\n%s", path, diff)
			}
		}
		if res := fetch(http.MethodGet, "/v1/events?limit=100"); res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET /v1/events?limit=100 with gzip: got Content-Encoding %q, want gzip", res.Header.Get("Content-Encoding"))
		}
	})
}

// TestLastModifiedMovesWithData: two changes within one second never leave
// a client that validates by date with stale data: If-Modified-Since with
// the Last-Modified of the previous version answers 200 after each change,
// and Last-Modified never goes back.
func TestLastModifiedMovesWithData(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			const path = "/v1/events?tag=synthetic"
			prev := b.get(t, path)
			prev.wantStatus(t, http.StatusOK)
			for i := range 3 {
				addEvent(t, b.store, "syn-lm-"+strconv.Itoa(i), "2019-05-0"+strconv.Itoa(i+1), "report")
				r := b.do(t, http.MethodGet, path, http.Header{"If-Modified-Since": {prev.header.Get("Last-Modified")}})
				if r.status != http.StatusOK {
					t.Fatalf("change %d: If-Modified-Since %s got %d, want 200 (the data changed)", i,
						prev.header.Get("Last-Modified"), r.status)
				}
				if r.header.Get("ETag") == prev.header.Get("ETag") {
					t.Fatalf("change %d: the ETag did not move", i)
				}
				before, _ := http.ParseTime(prev.header.Get("Last-Modified"))
				after, err := http.ParseTime(r.header.Get("Last-Modified"))
				if err != nil || after.Before(before) {
					t.Errorf("change %d: Last-Modified %q after %q, want a date, not earlier", i,
						r.header.Get("Last-Modified"), prev.header.Get("Last-Modified"))
				}
				if date, _ := http.ParseTime(r.header.Get("Date")); after.After(date) {
					t.Errorf("change %d: Last-Modified %v is later than Date %v", i, after, date)
				}
				prev = r
			}
			// Once the clock has passed the last change, its own date
			// validates it.
			var last response
			for range 50 {
				last = b.get(t, path)
				r := b.do(t, http.MethodGet, path, http.Header{"If-Modified-Since": {last.header.Get("Last-Modified")}})
				if r.status == http.StatusNotModified {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Errorf("If-Modified-Since %s never answered 304 for unchanged data", last.header.Get("Last-Modified"))
		})
	}
}

// TestOversizedHeadersAreAProblem: a request whose headers exceed the
// API's limit is answered 431 with a problem and the security headers.
func TestOversizedHeadersAreAProblem(t *testing.T) {
	b := shared[len(shared)-1]
	r := b.do(t, http.MethodGet, "/v1/timelines", http.Header{"X-Padding": {strings.Repeat("a", 100<<10)}})
	wantProblem(t, "100 KiB of headers", r, http.StatusRequestHeaderFieldsTooLarge, "headers-too-large")
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("431: got X-Content-Type-Options %q, want nosniff", r.header.Get("X-Content-Type-Options"))
	}
	if r := b.do(t, http.MethodGet, "/v1/timelines", http.Header{"X-Padding": {strings.Repeat("a", 32<<10)}}); r.status != http.StatusOK {
		t.Errorf("32 KiB of headers: got %d, want 200", r.status)
	}
}

// TestEncodedPathsDoNotRoute: a percent-encoded letter or slash in a route
// is no route, so that a proxy rule on /metrics or /v1/ cannot be dodged.
// The request lines are written by hand: net/http's client would clean
// them.
func TestEncodedPathsDoNotRoute(t *testing.T) {
	b := shared[len(shared)-1]
	for _, path := range []string{"/%6detrics", "/%6Detrics", "/v1%2Fevents", "/v1%2fevents", "/v1%2Fevents/", "/%761/events",
		"/v1/%65vents", "/v1/events%2Ecsv", "/healthz%2F", "/v1/timelines%2Fcsto"} {
		r := rawRequest(t, b.server.URL, "GET "+path+" HTTP/1.1")
		if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: got %d %s, want a 404 problem", path, r.status, r.header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/metrics", "/v1/events?limit=1", "/v1/timelines/csto", "/v1/events/csto%2D2002-activation"} {
		if r := rawRequest(t, b.server.URL, "GET "+path+" HTTP/1.1"); r.status != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", path, r.status)
		}
	}
}

// chunks decodes a chunked body, returning the data and the trailer
// section (the lines after the last chunk), failing unless it ends
// cleanly with the terminating chunk.
func chunks(t *testing.T, body []byte) (data []byte, trailer string) {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(body))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("chunked body ends without its last chunk: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			t.Fatalf("chunk size %q: %v", line, err)
		}
		if n == 0 {
			rest, _ := io.ReadAll(r)
			if !strings.HasSuffix(string(rest), "\r\n") {
				t.Fatalf("the trailer section %q does not end with CRLF", rest)
			}
			return data, strings.TrimSpace(string(rest))
		}
		chunk := make([]byte, n+2)
		if _, err := io.ReadFull(r, chunk); err != nil {
			t.Fatalf("short chunk: %v", err)
		}
		data = append(data, chunk[:n]...)
	}
}

// TestExportTrailersOnlyOnRequest: an export sends X-Total-Count up
// front and a chunked body that ends cleanly; the X-Rows-Written trailer
// goes only to a client that sends TE: trailers, on the event exports and
// the change feed's alike.
func TestExportTrailersOnlyOnRequest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, path := range []string{"/v1/events.csv?year=2019", "/v1/events.ndjson", "/v1/events?format=timelinejs"} {
			plain := rawRequest(t, b.server.URL, "GET "+path+" HTTP/1.1")
			if plain.status != http.StatusOK || plain.header.Get("Trailer") != "" || plain.header.Get("Transfer-Encoding") != "chunked" {
				t.Errorf("%s without TE: got %d, Trailer %q, Transfer-Encoding %q; want 200, none, chunked", path, plain.status,
					plain.header.Get("Trailer"), plain.header.Get("Transfer-Encoding"))
				continue
			}
			data, trailer := chunks(t, plain.body)
			if trailer != "" {
				t.Errorf("%s without TE: got trailer section %q, want none", path, trailer)
			}
			total, err := strconv.Atoi(plain.header.Get("X-Total-Count"))
			if err != nil {
				t.Fatalf("%s: X-Total-Count %q", path, plain.header.Get("X-Total-Count"))
			}

			asked := rawRequest(t, b.server.URL, "GET "+path+" HTTP/1.1\r\nTE: trailers")
			if asked.header.Get("Trailer") != "X-Rows-Written" {
				t.Errorf("%s with TE: trailers: got Trailer %q, want X-Rows-Written", path, asked.header.Get("Trailer"))
			}
			askedData, trailer := chunks(t, asked.body)
			if trailer != "X-Rows-Written: "+strconv.Itoa(total) {
				t.Errorf("%s with TE: trailers: got trailer section %q, want X-Rows-Written: %d", path, trailer, total)
			}
			if !bytes.Equal(data, askedData) {
				t.Errorf("%s: the body differs with TE: trailers", path)
			}
		}
		// The change feed's NDJSON export too (it has no X-Total-Count: the
		// feed may grow while it streams).
		const feed = "/v1/changes?format=ndjson&limit=5"
		plain := rawRequest(t, b.server.URL, "GET "+feed+" HTTP/1.1")
		if plain.status != http.StatusOK || plain.header.Get("Trailer") != "" {
			t.Errorf("%s without TE: got %d, Trailer %q; want 200 and none", feed, plain.status, plain.header.Get("Trailer"))
		}
		if _, trailer := chunks(t, plain.body); trailer != "" {
			t.Errorf("%s without TE: got trailer section %q, want none", feed, trailer)
		}
		asked := rawRequest(t, b.server.URL, "GET "+feed+" HTTP/1.1\r\nTE: trailers")
		if asked.header.Get("Trailer") != "X-Rows-Written" {
			t.Errorf("%s with TE: trailers: got Trailer %q, want X-Rows-Written", feed, asked.header.Get("Trailer"))
		}
		if _, trailer := chunks(t, asked.body); trailer != "X-Rows-Written: 5" {
			t.Errorf("%s with TE: trailers: got trailer section %q, want X-Rows-Written: 5", feed, trailer)
		}
		head := rawRequest(t, b.server.URL, "HEAD "+feed+" HTTP/1.1")
		if head.header.Get("Trailer") != "" {
			t.Errorf("HEAD %s without TE: got Trailer %q, want none", feed, head.header.Get("Trailer"))
		}
	})
}

// TestTimelineJSEscapesEveryText: TimelineJS reads its text fields as
// HTML, so display_date is escaped like the headline, the text (the
// summary) and the document's title.
func TestTimelineJSEscapesEveryText(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			const evil = `<img src=x onerror=alert(1)> & "late" May`
			if err := b.store.DB().Exec("UPDATE events SET display_date = ?, title = ?, summary = ? WHERE id = 'csto-2002-activation'", evil, evil, evil).Error; err != nil {
				t.Fatal(err)
			}
			if err := b.store.DB().Exec("UPDATE timelines SET title = ? WHERE id = 'csto'", evil).Error; err != nil {
				t.Fatal(err)
			}
			if err := b.store.DB().Exec("UPDATE dataset_state SET version = version + 1").Error; err != nil {
				t.Fatal(err)
			}
			r := b.get(t, "/v1/events?format=timelinejs&timeline=csto")
			r.wantStatus(t, http.StatusOK)
			var doc struct {
				Title struct {
					Text struct {
						Headline string `json:"headline"`
					} `json:"text"`
				} `json:"title"`
				Events []struct {
					UniqueID    string `json:"unique_id"`
					DisplayDate string `json:"display_date"`
					Text        struct {
						Headline string `json:"headline"`
						Text     string `json:"text"`
					} `json:"text"`
				} `json:"events"`
			}
			r.decode(t, &doc)
			want := `&lt;img src=x onerror=alert(1)&gt; &amp; &#34;late&#34; May`
			found := false
			for _, e := range doc.Events {
				if e.UniqueID == "csto-2002-activation" {
					found = true
					if e.DisplayDate != want || e.Text.Headline != want {
						t.Errorf("got display_date %q, headline %q; want both %q", e.DisplayDate, e.Text.Headline, want)
					}
					if !strings.HasPrefix(e.Text.Text, "<p>"+want+"</p>") {
						t.Errorf("got text %.200q, want it to begin with the escaped summary <p>%s</p>", e.Text.Text, want)
					}
				}
			}
			if !found {
				t.Fatal("csto-2002-activation is missing from the TimelineJS document")
			}
			if doc.Title.Text.Headline != want {
				t.Errorf("got the document's title %q, want %q", doc.Title.Text.Headline, want)
			}
		})
	}
}

// TestMetaTotalOnRequest: meta.total is sent when asked for, with
// ?count=true or Prefer: count=exact, and is the X-Total-Count of the
// export of the same filters; it is absent otherwise.
func TestMetaTotalOnRequest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		type page struct {
			Meta map[string]any `json:"meta"`
		}
		for _, q := range []string{"", "year=2019", "type=statement&actor=sergey-lavrov", "q=peacekeeping", "year=1900"} {
			export := b.do(t, http.MethodHead, "/v1/events.csv?"+q, nil)
			want, err := strconv.Atoi(export.header.Get("X-Total-Count"))
			if err != nil {
				t.Fatalf("?%s: X-Total-Count %q", q, export.header.Get("X-Total-Count"))
			}
			sep := "&"
			if q == "" {
				sep = ""
			}
			var p page
			b.get(t, "/v1/events?"+q+sep+"count=true&limit=1").decode(t, &p)
			if got, ok := p.Meta["total"].(float64); !ok || int(got) != want {
				t.Errorf("?%s&count=true: got meta.total %v, want %d", q, p.Meta["total"], want)
			}
			r := b.do(t, http.MethodGet, "/v1/events?"+q+sep+"limit=1", http.Header{"Prefer": {"return=minimal, count=exact"}})
			p = page{}
			r.decode(t, &p)
			if got, ok := p.Meta["total"].(float64); !ok || int(got) != want {
				t.Errorf("?%s with Prefer: count=exact: got meta.total %v, want %d", q, p.Meta["total"], want)
			}
			if r.header.Get("Preference-Applied") != "count=exact" {
				t.Errorf("?%s: got Preference-Applied %q, want count=exact", q, r.header.Get("Preference-Applied"))
			}
			plain := b.get(t, "/v1/events?"+q+sep+"limit=1")
			p = page{}
			plain.decode(t, &p)
			if _, ok := p.Meta["total"]; ok {
				t.Errorf("?%s without count: got meta.total %v, want none", q, p.Meta["total"])
			}
			if plain.header.Get("ETag") == r.header.Get("ETag") {
				t.Errorf("?%s: the same ETag with and without Prefer: count=exact", q)
			}
			if vary := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(vary, "Prefer") {
				t.Errorf("?%s: got Vary %q, want Prefer in it", q, vary)
			}
		}
		edgeProblem(t, "count=yes", b.get(t, "/v1/events?count=yes"), http.StatusBadRequest, "count")
		edgeProblem(t, "count on an export", b.get(t, "/v1/events.csv?count=true"), http.StatusBadRequest, "count")
	})
}

// TestEventsJSONSuffix: /v1/events.json is /v1/events, as .csv and .ndjson
// are its exports.
func TestEventsJSONSuffix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		want := b.events(t, "year=2019&limit=3")
		r := b.get(t, "/v1/events.json?year=2019&limit=3")
		r.wantStatus(t, http.StatusOK)
		var got eventPage
		r.decode(t, &got)
		if diff := cmp.Diff(ids(want.Data), ids(got.Data)); diff != "" {
			t.Errorf("/v1/events.json (-/v1/events +.json):\n%s", diff)
		}
		if got.Links.Next == nil || !strings.HasPrefix(*got.Links.Next, "/v1/events.json?") {
			t.Fatalf("got links.next %v, want a /v1/events.json link", got.Links.Next)
		}
		if r := b.get(t, *got.Links.Next); r.status != http.StatusOK {
			t.Errorf("links.next of .json: got %d, want 200", r.status)
		}
		edgeProblem(t, ".json with format=csv", b.get(t, "/v1/events.json?format=csv"), http.StatusBadRequest, "format")
		if r := b.do(t, http.MethodGet, "/v1/events.json", http.Header{"Accept": {"text/csv"}}); r.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("/v1/events.json with Accept: text/csv: got %s, want JSON (the suffix wins)", r.header.Get("Content-Type"))
		}
	})
}

// TestFacetYearsAreIntegers: the year facet's values are JSON numbers, as
// in /v1/years.
func TestFacetYearsAreIntegers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var facets struct {
			Data struct {
				Year []map[string]json.RawMessage `json:"year"`
			} `json:"data"`
		}
		b.get(t, "/v1/facets").decode(t, &facets)
		var years struct {
			Data []struct{ Year, Count int } `json:"data"`
		}
		b.get(t, "/v1/years").decode(t, &years)
		if len(facets.Data.Year) != len(years.Data) || len(years.Data) == 0 {
			t.Fatalf("got %d year facets, /v1/years has %d", len(facets.Data.Year), len(years.Data))
		}
		for i, y := range facets.Data.Year {
			if string(y["value"]) != strconv.Itoa(years.Data[i].Year) {
				t.Errorf("year facet %d: got value %s, want the number %d", i, y["value"], years.Data[i].Year)
			}
		}
	})
}
