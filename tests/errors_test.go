package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestBadInput checks that every kind of bad request is a problem+json
// naming the parameter, never a 500 and never a silent guess.
func TestBadInput(t *testing.T) {
	cases := []struct {
		path   string
		status int
		param  string // the invalid_params name expected, "" for none
		reason string // a fragment of the reason
	}{
		{"/v1/events?yaer=2019", 400, "yaer", `did you mean "year"`},
		{"/v1/events?year=19", 400, "year", "four-digit year"},
		{"/v1/events?year=2019,", 400, "year", "empty value"},
		{"/v1/events?year=", 400, "year", "empty value"},
		{"/v1/events?from=2019-13", 400, "from", "month 13"},
		{"/v1/events?from=2019-02-30", 400, "from", "not a valid calendar date"},
		{"/v1/events?from=05/2019", 400, "from", "YYYY"},
		{"/v1/events?to=2019-1", 400, "to", "YYYY"},
		{"/v1/events?from=2020&to=2019", 400, "to", "before"},
		{"/v1/events?from=2019-06-02&to=2019-06-01", 400, "to", "before"},
		{"/v1/events?from=2019&from=2020", 400, "from", "given 2 times"},
		{"/v1/events?limit=0", 400, "limit", "1 to 500"},
		{"/v1/events?limit=501", 400, "limit", "1 to 500"},
		{"/v1/events?limit=-1", 400, "limit", "1 to 500"},
		{"/v1/events?limit=ten", 400, "limit", "1 to 500"},
		{"/v1/events?limit=%2B5", 400, "limit", "1 to 500"},
		{"/v1/events?sort=title", 400, "sort", "date, -date"},
		{"/v1/events?type=party", 400, "type", "not one of"},
		{"/v1/events?status=done", 400, "status", "not one of"},
		{"/v1/events?actor=Sergey%01Lavrov", 400, "actor", "control character"},
		{"/v1/events?cursor=garbage", 400, "cursor", "tampered"},
		{"/v1/events?cursor=" + strings.Repeat("a", 600), 400, "cursor", "tampered"},
		{"/v1/events?tag=" + manyTags(51), 400, "tag", "at most 50"},
		{"/v1/years?limit=5", 400, "limit", "unknown parameter"},
		{"/v1/years?sort=date", 400, "sort", "unknown parameter"},
		{"/v1/timelines?x=1", 400, "x", "takes no query parameters"},
		{"/v1/events/csto-2002-activation?full=1", 400, "full", "unknown parameter"},
		{"/v1/events/no-such-event", 404, "", ""},
		{"/v1/events/Not%20A%20Slug", 404, "", ""},
		{"/v1/timelines/nope", 404, "", ""},
		{"/v1/nothing", 404, "", ""},
		{"/nothing", 404, "", ""}, // "/" is the explorer's home page
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range cases {
			r := b.get(t, c.path)
			if r.status != c.status {
				t.Errorf("%s: got status %d, want %d; body %s", c.path, r.status, c.status, truncate(string(r.body)))
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: got Content-Type %q, want application/problem+json", c.path, ct)
			}
			var p problemDoc
			r.decode(t, &p)
			if p.Status != c.status || p.Title == "" || p.Detail == "" || !strings.HasPrefix(p.Type, "https://") {
				t.Errorf("%s: got problem %+v, want status %d with type, title and detail", c.path, p, c.status)
			}
			if want := "urn:request:" + url.PathEscape(r.header.Get("X-Request-ID")); p.Instance != want {
				t.Errorf("%s: got instance %q, want %q (the request id)", c.path, p.Instance, want)
			}
			if c.param == "" {
				continue
			}
			found := false
			for _, ip := range p.InvalidParams {
				if ip.Name == c.param && strings.Contains(ip.Reason, c.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: got invalid_params %+v, want %s with a reason containing %q", c.path, p.InvalidParams, c.param, c.reason)
			}
		}
	})
}

// TestAllBadParamsReported lists every bad parameter at once.
func TestAllBadParamsReported(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/v1/events?yaer=2019&limit=0&type=party")
		r.wantStatus(t, http.StatusBadRequest)
		var p problemDoc
		r.decode(t, &p)
		var names []string
		for _, ip := range p.InvalidParams {
			names = append(names, ip.Name)
		}
		for _, want := range []string{"yaer", "limit", "type"} {
			if !slices.Contains(names, want) {
				t.Errorf("got invalid_params %v, want %s among them", names, want)
			}
		}
	})
}

// TestCursorIsBoundToItsQuery rejects tampered cursors and cursors replayed
// against other filters or another sort.
func TestCursorIsBoundToItsQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		p := b.events(t, "type=statement&limit=2")
		if p.Links.Next == nil {
			t.Fatal("want a next page")
		}
		u, err := url.Parse(*p.Links.Next)
		if err != nil {
			t.Fatal(err)
		}
		cursor := u.Query().Get("cursor")
		// The same cursor with a different page size is fine.
		b.get(t, "/v1/events?type=statement&limit=5&cursor="+url.QueryEscape(cursor)).wantStatus(t, http.StatusOK)
		for _, q := range []string{
			"limit=2&cursor=" + url.QueryEscape(cursor),                             // filter dropped: would widen
			"type=statement,summit&limit=2&cursor=" + url.QueryEscape(cursor),       // filter widened
			"type=statement&sort=-date&limit=2&cursor=" + url.QueryEscape(cursor),   // sort changed
			"type=statement&limit=2&cursor=" + url.QueryEscape(flipChar(cursor, 3)), // body tampered
			"type=statement&limit=2&cursor=" + url.QueryEscape(flipChar(cursor, len(cursor)-2)),
		} {
			r := b.get(t, "/v1/events?"+q)
			if r.status != http.StatusBadRequest {
				t.Errorf("?%s: got %d, want 400", q, r.status)
				continue
			}
			var pr problemDoc
			r.decode(t, &pr)
			if len(pr.InvalidParams) != 1 || pr.InvalidParams[0].Name != "cursor" {
				t.Errorf("?%s: got invalid_params %+v, want cursor", q, pr.InvalidParams)
			}
		}
	})
}

func manyTags(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	return strings.Join(tags, ",")
}

func flipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestHealth checks liveness and readiness.
func TestHealth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, path := range []string{"/healthz", "/readyz"} {
			r := b.get(t, path)
			r.wantStatus(t, http.StatusOK)
			if string(r.body) != "{\"status\":\"ok\"}\n" {
				t.Errorf("%s: got %q, want {\"status\":\"ok\"}", path, r.body)
			}
		}
		r := b.get(t, "/openapi.yaml")
		r.wantStatus(t, http.StatusOK)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") || !strings.Contains(string(r.body), "3.1.0") {
			t.Errorf("/openapi.yaml: got %q, %.40q; want the YAML spec", r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("X-Request-ID") == "" {
			t.Error("got no X-Request-ID header")
		}
	})
}
