package tests

// Cases for the contract test that every operation shares: the limits on a
// request as a whole and the rate limit. They are made from the spec, so an
// operation added to openapi.yaml with these statuses is covered at once.

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// contractPathParam matches an OpenAPI path parameter, "{id}".
var contractPathParam = regexp.MustCompile(`\{[^}]+\}`)

// contractSamplePath is a concrete path for an operation's template. The
// limits are checked before any handler runs, so any value will do.
func contractSamplePath(template string) string {
	return contractPathParam.ReplaceAllString(template, "x")
}

// contractDocuments reports whether the spec documents status for op.
func (s *contractSpec) contractDocuments(op string, status string) bool {
	method, path, _ := strings.Cut(op, " ")
	return s.doc.Paths.Value(path).GetOperation(method).Responses.Value(status) != nil
}

// contractLimitCases are, for every operation that documents them, a
// request with a body (413) and one with an overlong query string (414).
func contractLimitCases(s *contractSpec) []contractCase {
	var out []contractCase
	for _, op := range s.contractOperations() {
		method, path, _ := strings.Cut(op, " ")
		if method != http.MethodGet {
			continue // writes: see contractWriteCases
		}
		p := contractSamplePath(path)
		if s.contractDocuments(op, "413") {
			out = append(out, contractCase{name: op + " with a body", path: p, body: strings.Repeat("x", 2048),
				status: http.StatusRequestEntityTooLarge})
		}
		if s.contractDocuments(op, "414") {
			out = append(out, contractCase{name: op + " with a long query", path: p + "?x=" + strings.Repeat("a", 9000),
				status: http.StatusRequestURITooLong})
		}
		if s.contractDocuments(op, "431") {
			out = append(out, contractCase{name: op + " with huge headers", path: p,
				header: http.Header{"X-Padding": {strings.Repeat("a", 100<<10)}}, status: http.StatusRequestHeaderFieldsTooLarge})
		}
	}
	return out
}

// contractRateLimitedCases run against a router whose client may send one
// request and no more: after it, every operation that documents 429
// answers it and every other one (the probes and /metrics) still answers.
func contractRateLimitedCases(s *contractSpec) []contractCase {
	out := []contractCase{{name: "first request", path: "/v1/timelines", status: http.StatusOK}}
	for _, op := range s.contractOperations() {
		method, path, _ := strings.Cut(op, " ")
		if method != http.MethodGet {
			continue // writes have their own limit: see contractWriteRateLimitedCases
		}
		c := contractCase{name: op, path: contractSamplePath(path), status: http.StatusOK}
		if s.contractDocuments(op, "429") {
			c.status = http.StatusTooManyRequests
			c.check = contractWantRetryAfter
		}
		out = append(out, c)
	}
	return out
}

func contractWantRetryAfter(t *testing.T, path string, r response) {
	t.Helper()
	if r.header.Get("Retry-After") == "" {
		t.Errorf("GET %s: got no Retry-After header, want one", path)
	}
}

// send fetches path, with body as the request body when it is not empty.
func (b *backend) send(t *testing.T, path, body string) response {
	t.Helper()
	if body == "" {
		return b.get(t, path)
	}
	req, err := http.NewRequest(http.MethodGet, b.server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request %s: %v", path, err)
	}
	res, err := b.server.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: got}
}

// contractServesMetrics checks that /metrics is Prometheus text with the
// service's own metrics.
func contractServesMetrics(t *testing.T, path string, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET %s: got Content-Type %q, want text/plain", path, ct)
	}
	if !strings.Contains(string(r.body), "# TYPE timeline_http_requests_total counter") {
		t.Errorf("GET %s: got %.300s, want timeline_http_requests_total", path, r.body)
	}
}
