package tests

// Operational hardening seen from a client: security headers, the limits
// on a request as a whole, the rate limit, access logs and metrics.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/csto-timeline/timeline/api"
)

// opsServer serves a router built with cfg over the first shared backend's
// database, for tests that need a configuration of their own.
func opsServer(t *testing.T, cfg api.Config) *backend {
	t.Helper()
	router, err := api.New(shared[0].store, cfg)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return &backend{name: shared[0].name, store: shared[0].store, server: srv}
}

// wantProblem fails unless r is an application/problem+json of status and
// problem type typ (the part after '#').
func wantProblem(t *testing.T, what string, r response, status int, typ string) problemDoc {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got status %d, want %d; body %s", what, r.status, status, truncate(string(r.body)))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: got Content-Type %q, want application/problem+json", what, ct)
	}
	var p problemDoc
	r.decode(t, &p)
	if p.Status != status || !strings.HasSuffix(p.Type, "#"+typ) || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: got problem %+v, want status %d, type #%s, a title and a detail", what, p, status, typ)
	}
	if want := "urn:request:" + url.PathEscape(r.header.Get("X-Request-ID")); p.Instance != want {
		t.Errorf("%s: got instance %q, want %q", what, p.Instance, want)
	}
	return p
}

// TestSecurityHeaders checks the headers of every kind of response, and
// that none names the server's software.
func TestSecurityHeaders(t *testing.T) {
	b := opsServer(t, api.Config{RateLimit: 1e-6, RateBurst: 2, RateLimitLoopback: true})
	client := *b.server.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, c := range []struct {
		path   string
		body   string
		status int
	}{
		{"/v1/events?year=2019", "", 200},
		{"/healthz/", "", 301},
		{"/v1/events?limit=0", "", 429}, // both tokens are spent
		{"/healthz", "", 200},
		{"/healthz?x=1", "", 400},
		{"/metrics", "", 200},
		{"/healthz", strings.Repeat("x", 4096), 413},
		{"/healthz?" + strings.Repeat("a", 9000), "", 414},
	} {
		req, _ := http.NewRequest(http.MethodGet, b.server.URL+c.path, strings.NewReader(c.body))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		path := truncate(c.path)
		if res.StatusCode != c.status {
			t.Errorf("%s: got status %d, want %d", path, res.StatusCode, c.status)
		}
		for name, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s: got %s %q, want %q", path, name, got, want)
			}
		}
		for _, name := range []string{"Server", "X-Powered-By"} {
			if got := res.Header.Get(name); got != "" {
				t.Errorf("%s: got %s %q, want none", path, name, got)
			}
		}
	}
}

// TestRequestLimits checks the bounds on a request as a whole: a body, the
// query string, and the values of a list parameter counted with repeats.
func TestRequestLimits(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		wantProblem(t, "body of 2 KiB", b.send(t, "/v1/events", strings.Repeat("x", 2048)), 413, "body-too-large")
		b.send(t, "/v1/events", "{}").wantStatus(t, http.StatusOK) // a stray small body is tolerated

		// A body of unknown length is read up to the cap, no further.
		req, _ := http.NewRequest(http.MethodGet, b.server.URL+"/v1/timelines", io.MultiReader(strings.NewReader(strings.Repeat("x", 1500))))
		req.ContentLength = -1
		res, err := b.server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		wantProblem(t, "chunked body", response{status: res.StatusCode, header: res.Header, body: body}, 413, "body-too-large")

		wantProblem(t, "query of 9000 bytes", b.get(t, "/v1/events?tag="+strings.Repeat("a", 9000)), 414, "uri-too-long")
		b.get(t, "/v1/events?tag="+manyTags(50)).wantStatus(t, http.StatusOK)

		repeats := strings.Repeat("tag=a&", 60) + "year=2019"
		p := wantProblem(t, "60 repeats of one tag", b.get(t, "/v1/events?"+repeats), 400, "invalid-parameter")
		if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != "tag" || !strings.Contains(p.InvalidParams[0].Reason, "at most 50") {
			t.Errorf("60 repeats of one tag: got invalid_params %+v, want tag with at most 50", p.InvalidParams)
		}
		long := wantProblem(t, "a 1025-byte value", b.get(t, "/v1/events?from="+strings.Repeat("2", 1025)), 400, "invalid-parameter")
		if len(long.InvalidParams) != 1 || long.InvalidParams[0].Name != "from" {
			t.Errorf("a 1025-byte value: got invalid_params %+v, want from", long.InvalidParams)
		}
	})
}

// TestFilterValuesNeverReachSQL sends SQL in every parameter: each is
// refused by its whitelist before any query, and the data is untouched.
// The free-text parameters (actor and place names, q) have no whitelist:
// their values travel as placeholders, so SQL in them finds nothing.
func TestFilterValuesNeverReachSQL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		before := len(b.allEvents(t, "limit=500"))
		for _, q := range []string{
			"type=summit'%20OR%20'1'='1",
			"status=occurred;DROP%20TABLE%20events",
			"sort=start_date;DELETE%20FROM%20events",
			"sort=id",
			"timeline=csto%22--",
			"tag=a%00b",
			"year=2019)%20OR%20(1=1",
			"from=2019'--",
			"limit=1;SELECT%201",
			"type=summit;status=planned",
			"type=%zz",
			"ty%zzpe=summit",
			"=summit",
		} {
			r := b.get(t, "/v1/events?"+q)
			p := wantProblem(t, q, r, 400, "invalid-parameter")
			if len(p.InvalidParams) != 1 {
				t.Errorf("?%s: got invalid_params %+v, want the one parameter", q, p.InvalidParams)
			}
		}
		for _, q := range []string{"actor=x')%20OR%201=1--", "place=x'%20OR%20'1'='1", "q=x')%20OR%201=1--",
			"q=%22x%22%20OR%20%22*%22", "actor=x%22%3BDROP%20TABLE%20events%3B--"} {
			if got := b.events(t, q).Data; len(got) != 0 {
				t.Errorf("?%s: got %d events, want none", q, len(got))
			}
		}
		if after := len(b.allEvents(t, "limit=500")); after != before {
			t.Errorf("events after the attempts: got %d, want %d", after, before)
		}
	})
}

// TestCursorFromAnotherKeyIsRejected: a cursor is only good where it was
// signed, so one forged with another key, or a valid one used with a
// narrower or wider filter, is a 400.
func TestCursorFromAnotherKeyIsRejected(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		other := opsServer(t, api.Config{CursorKey: []byte("another-key")})
		p := other.events(t, "type=statement&limit=1")
		if p.Links.Next == nil {
			t.Fatal("want a next page")
		}
		u, _ := url.Parse(*p.Links.Next)
		cursor := url.QueryEscape(u.Query().Get("cursor"))
		r := b.get(t, "/v1/events?type=statement&limit=1&cursor="+cursor)
		if pr := wantProblem(t, "foreign cursor", r, 400, "invalid-parameter"); len(pr.InvalidParams) != 1 || pr.InvalidParams[0].Name != "cursor" {
			t.Errorf("foreign cursor: got invalid_params %+v, want cursor", pr.InvalidParams)
		}

		own := b.events(t, "type=statement&limit=1")
		u, _ = url.Parse(*own.Links.Next)
		cursor = url.QueryEscape(u.Query().Get("cursor"))
		for _, q := range []string{"type=statement&timeline=csto", "type=statement&year=2019", "type=statement,summit", ""} {
			r := b.get(t, "/v1/events?"+q+"&limit=1&cursor="+cursor)
			wantProblem(t, "cursor with ?"+q, r, 400, "invalid-parameter")
		}
	})
}

// TestRateLimit: a client that spends its burst is answered 429 with
// Retry-After until its bucket refills; X-Forwarded-For from an untrusted
// peer changes nothing; probes and metrics are never refused.
func TestRateLimit(t *testing.T) {
	b := opsServer(t, api.Config{RateLimit: 0.01, RateBurst: 3, RateLimitLoopback: true})
	spoof := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}, "X-Real-Ip": {ip}} }
	for i := range 3 {
		b.do(t, http.MethodGet, "/v1/timelines", spoof("198.51.100."+strconv.Itoa(i))).wantStatus(t, http.StatusOK)
	}
	for i := range 3 {
		r := b.do(t, http.MethodGet, "/v1/events", spoof("203.0.113."+strconv.Itoa(i)))
		wantProblem(t, "request past the burst", r, 429, "rate-limited")
		if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 || n > 100 {
			t.Errorf("Retry-After: got %q, want whole seconds until a token is back (1 to 100)", r.header.Get("Retry-After"))
		}
	}
	// A bad request counts too, and is refused before it is parsed.
	wantProblem(t, "bad request past the burst", b.get(t, "/v1/events?limit=0"), 429, "rate-limited")
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		for range 5 {
			b.get(t, path).wantStatus(t, http.StatusOK)
		}
	}
	if got := metricValue(t, b, `timeline_rate_limited_total`); got < 4 {
		t.Errorf("timeline_rate_limited_total: got %v, want at least 4", got)
	}

	// Behind a trusted proxy the forwarded address is the client.
	proxied := opsServer(t, api.Config{RateLimit: 0.01, RateBurst: 1, RateLimitLoopback: true, TrustedProxies: []string{"127.0.0.1", "::1"}})
	proxied.do(t, http.MethodGet, "/v1/timelines", spoof("203.0.113.7")).wantStatus(t, http.StatusOK)
	wantProblem(t, "second request of 203.0.113.7", proxied.do(t, http.MethodGet, "/v1/timelines", spoof("203.0.113.7")), 429, "rate-limited")
	proxied.do(t, http.MethodGet, "/v1/timelines", spoof("203.0.113.8")).wantStatus(t, http.StatusOK)
	// One IPv6 subscriber's /64 is one client.
	proxied.do(t, http.MethodGet, "/v1/timelines", spoof("2001:db8:1:2::1")).wantStatus(t, http.StatusOK)
	wantProblem(t, "another address of the same /64", proxied.do(t, http.MethodGet, "/v1/timelines", spoof("2001:db8:1:2::ffff")), 429, "rate-limited")
}

// TestAccessLog checks the one JSON line per request: its fields, and that
// neither the query string nor a path's id is written.
func TestAccessLog(t *testing.T) {
	var buf syncBuffer
	b := opsServer(t, api.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	b.get(t, "/v1/events?year=2019&tag=peacekeeping-secret-term").wantStatus(t, http.StatusOK)
	r := b.do(t, http.MethodGet, "/v1/events?year=2019", http.Header{"X-Request-Id": {"trace-1234"}})
	r.wantStatus(t, http.StatusOK)
	var body eventPage
	r.decode(t, &body)
	b.get(t, "/v1/events/some-private-id").wantStatus(t, http.StatusNotFound)

	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: got %v, want JSON", sc.Text(), err)
		}
		if line["msg"] == "request" {
			lines[line["request_id"].(string)] = line
		}
	}
	line, ok := lines["trace-1234"]
	if !ok {
		t.Fatalf("got log lines %v, want one with request_id trace-1234", lines)
	}
	for key, want := range map[string]any{"method": "GET", "route": "/v1/events", "status": 200.0, "rows": float64(len(body.Data))} {
		if line[key] != want {
			t.Errorf("access log %s: got %v, want %v", key, line[key], want)
		}
	}
	if _, ok := line["duration"].(float64); !ok {
		t.Errorf("access log duration: got %v, want a number", line["duration"])
	}
	for _, secret := range []string{"year=2019", "peacekeeping-secret-term", "some-private-id"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("logs contain %q: want neither query strings nor ids from paths", secret)
		}
	}
	if !strings.Contains(buf.String(), `"route":"/v1/events/:id"`) {
		t.Errorf("logs %s: want the 404 under its route pattern /v1/events/:id", truncate(buf.String()))
	}
}

// TestMetrics checks /metrics: counts and latencies by route pattern and
// status, records returned, the pool's statistics, and a registry per
// router.
func TestMetrics(t *testing.T) {
	b := opsServer(t, api.Config{})
	other := opsServer(t, api.Config{})
	for range 3 {
		b.events(t, "year=2019")
	}
	b.get(t, "/v1/events/no-such-event").wantStatus(t, http.StatusNotFound)
	b.get(t, "/v1/events?limit=0").wantStatus(t, http.StatusBadRequest)
	b.get(t, "/nowhere").wantStatus(t, http.StatusNotFound)

	for series, want := range map[string]float64{
		`timeline_http_requests_total{method="GET",route="/v1/events",status="200"}`:                 3,
		`timeline_http_requests_total{method="GET",route="/v1/events",status="400"}`:                 1,
		`timeline_http_requests_total{method="GET",route="/v1/events/:id",status="404"}`:             1,
		`timeline_http_requests_total{method="GET",route="unmatched",status="404"}`:                  1,
		`timeline_http_request_duration_seconds_count{method="GET",route="/v1/events",status="200"}`: 3,
	} {
		if got := metricValue(t, b, series); got != want {
			t.Errorf("%s: got %v, want %v", series, got, want)
		}
	}
	if got := metricValue(t, b, `timeline_rows_returned_total{route="/v1/events"}`); got < 3 {
		t.Errorf("rows returned for /v1/events: got %v, want at least 3", got)
	}
	export := b.get(t, "/v1/events.ndjson?type=summit")
	export.wantStatus(t, http.StatusOK)
	if got, want := metricValue(t, b, `timeline_rows_exported_total{format="ndjson"}`), float64(bytes.Count(export.body, []byte("\n"))); got != want || got < 1 {
		t.Errorf(`timeline_rows_exported_total{format="ndjson"}: got %v, want %v (the export's lines)`, got, want)
	}
	if got := metricValue(t, b, `go_sql_max_open_connections{db_name="timeline"}`); got < 1 {
		t.Errorf("go_sql_max_open_connections: got %v, want the pool's bound", got)
	}
	if got := metricValue(t, other, `timeline_http_requests_total{method="GET",route="/v1/events",status="200"}`); got != 0 {
		t.Errorf("another router's count: got %v, want 0 (a registry per router)", got)
	}
}

// metricValue scrapes b's /metrics and returns the value of one series,
// 0 when it is absent.
func metricValue(t *testing.T, b *backend, series string) float64 {
	t.Helper()
	r := b.get(t, "/metrics")
	r.wantStatus(t, http.StatusOK)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindSubmatch(r.body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: got %q, want a number", series, m[1])
	}
	return v
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }

// TestCalendarEdges queries the first and last days the API accepts: the
// date arithmetic behind an index range must not step outside what the
// database can represent.
func TestCalendarEdges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, q := range []string{"from=0001", "to=0001", "from=0001-01-01&to=0001-01-01", "to=9999", "from=9999-12-31",
			"from=0001&to=9999-12-31", "year=0001", "year=9999", "year=0001,9999&sort=-date"} {
			for _, path := range []string{"/v1/events?", "/v1/years?"} {
				if strings.HasPrefix(path, "/v1/years") && strings.Contains(q, "sort") {
					continue
				}
				if r := b.get(t, path+q); r.status != http.StatusOK {
					t.Errorf("GET %s%s: got %d, want 200", path, q, r.status)
				}
			}
		}
	})
}
