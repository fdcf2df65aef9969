package tests

// Contract tests: they keep openapi.yaml honest. The router and the spec must
// list the same routes, and every real response the service gives, success
// or error, must be one the spec documents: status, headers and body.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
)

// contractSpecPath is the API contract, relative to this package.
const contractSpecPath = "../openapi.yaml"

// contractSpec is the loaded and validated contract with a router that maps
// a request to the operation documenting it.
type contractSpec struct {
	doc    *openapi3.T
	router routers.Router
	// covered records, per operation ("GET /v1/events/{id}"), the statuses
	// that a validated response has exercised.
	covered map[string][]int
}

// contractLoadSpec loads openapi.yaml, fails the test unless it is a valid
// OpenAPI document, and builds a router over its operations.
func contractLoadSpec(t *testing.T) *contractSpec {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(contractSpecPath)
	if err != nil {
		t.Fatalf("load %s: %v", contractSpecPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("validate %s: got %v, want a valid OpenAPI document", contractSpecPath, err)
	}
	// The test servers listen on random ports: match operations on the
	// path alone, whatever the spec's servers say.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("build a router over %s: %v", contractSpecPath, err)
	}
	return &contractSpec{doc: doc, router: router, covered: map[string][]int{}}
}

// contractOperations lists the spec's operations as "METHOD /path".
func (s *contractSpec) contractOperations() []string {
	var out []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// contractGinParam matches a gin path parameter, ":id" or "*path".
var contractGinParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// contractOpenAPIPath turns a gin route path into an OpenAPI path template.
func contractOpenAPIPath(ginPath string) string {
	return contractGinParam.ReplaceAllString(ginPath, "{$1}")
}

func TestContractOpenAPIPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/healthz", "/healthz"},
		{"/v1/events/:id", "/v1/events/{id}"},
		{"/v1/timelines/:id/events/:event_id", "/v1/timelines/{id}/events/{event_id}"},
		{"/files/*path", "/files/{path}"},
	} {
		if got := contractOpenAPIPath(c.in); got != c.want {
			t.Errorf("contractOpenAPIPath(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	spec := contractLoadSpec(t)
	if got := spec.doc.OpenAPI; !strings.HasPrefix(got, "3.1.") {
		t.Errorf("openapi version: got %q, want 3.1.x", got)
	}
	if got := len(spec.contractOperations()); got == 0 {
		t.Fatalf("operations in %s: got %d, want at least one", contractSpecPath, got)
	}
}

// TestContractRoutesMatchSpec checks that api.New serves exactly the
// operations openapi.yaml documents.
func TestContractRoutesMatchSpec(t *testing.T) {
	spec := contractLoadSpec(t)
	router, err := api.New(shared[0].store, api.Config{})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	// HEAD mirrors every GET (the spec says so once, in its description):
	// check the twins here, and compare the GETs with the spec below.
	served, heads := map[string]bool{}, map[string]bool{}
	for _, r := range router.Routes() {
		if r.Method == http.MethodHead {
			heads[contractOpenAPIPath(r.Path)] = true
			continue
		}
		served[r.Method+" "+contractOpenAPIPath(r.Path)] = true
	}
	for op := range served {
		if path, ok := strings.CutPrefix(op, "GET "); ok && !heads[path] {
			t.Errorf("HEAD %s: got no route, want one for every GET", path)
		}
	}
	for path := range heads {
		if !served["GET "+path] {
			t.Errorf("HEAD %s: got a route without a GET twin", path)
		}
	}
	// The HTML pages are for people, not API operations: the spec names
	// them in its description and does not list them (see
	// contractPageRoutes); TestPagesAreHTML checks what they answer.
	for _, op := range contractPageRoutes {
		if !served[op] {
			t.Errorf("%s: got no route, want the page served", op)
		}
		delete(served, op)
	}
	documented := map[string]bool{}
	for _, op := range spec.contractOperations() {
		documented[op] = true
	}
	if len(served) == 0 {
		t.Fatalf("routes served by api.New: got none, want %d", len(documented))
	}
	for _, op := range contractSortedKeys(documented) {
		if !served[op] {
			t.Errorf("%s: got documented in openapi.yaml but not served by api.New, want both or neither", op)
		}
	}
	for _, op := range contractSortedKeys(served) {
		if !documented[op] {
			t.Errorf("%s: got served by api.New but not documented in openapi.yaml, want both or neither", op)
		}
	}
}

func contractSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func init() {
	// NDJSON is validated line by line: the body decodes to the array of
	// its lines' values, which the spec describes as an array of Event.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			var out []any
			dec := json.NewDecoder(body)
			for dec.More() {
				var v any
				if err := dec.Decode(&v); err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		})
	openapi3filter.RegisterBodyDecoder("application/merge-patch+json", openapi3filter.JSONBodyDecoder)
}

// contractCase is one real request whose response the spec must describe.
type contractCase struct {
	name string
	// path is the request path and query.
	path string
	// followNext requests the links.next of path's response instead of path.
	followNext bool
	status     int
	// invalidParam, for a 400, is a parameter invalid_params must name.
	invalidParam string
	// check makes case-specific assertions.
	check func(t *testing.T, path string, r response)
	// body, when not empty, is sent as the request body.
	body string
	// header is sent with the request.
	header http.Header
	// conditional first fetches path, then requests it again with
	// If-None-Match set to the ETag it got.
	conditional bool
	// method, when not GET, sends a write with key (see contractKeys),
	// contentType and body; ifMatch is sent as If-Match, or, when it
	// starts with "@", the ETag of a GET of the path after the "@".
	method, key, contentType, ifMatch string
}

// contractReadCases are requests against a seeded, healthy backend.
var contractReadCases = []contractCase{
	{name: "healthz", path: "/healthz", status: http.StatusOK},
	{name: "healthz with a parameter", path: "/healthz?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "readyz", path: "/readyz", status: http.StatusOK},
	{name: "readyz with a parameter", path: "/readyz?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "openapi.yaml", path: "/openapi.yaml", status: http.StatusOK, check: contractServesSpecFile},
	{name: "openapi.yaml with a parameter", path: "/openapi.yaml?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "openapi.json", path: "/openapi.json", status: http.StatusOK, check: contractServesSpecJSON},
	{name: "openapi.json with a parameter", path: "/openapi.json?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "metrics", path: "/metrics", status: http.StatusOK, check: contractServesMetrics},
	{name: "metrics with a parameter", path: "/metrics?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "timelines", path: "/v1/timelines", status: http.StatusOK},
	{name: "timelines with a parameter", path: "/v1/timelines?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "timeline", path: "/v1/timelines/csto", status: http.StatusOK},
	{name: "timeline unknown", path: "/v1/timelines/nope", status: http.StatusNotFound},
	{name: "timeline with a parameter", path: "/v1/timelines/csto?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "events", path: "/v1/events", status: http.StatusOK},
	{name: "events of a year", path: "/v1/events?year=2019", status: http.StatusOK, check: contractWantLastPage},
	{name: "events first page", path: "/v1/events?limit=2", status: http.StatusOK, check: contractWantNextPage},
	{name: "events next page", path: "/v1/events?limit=2", followNext: true, status: http.StatusOK, check: contractWantNextPage},
	{name: "events sorted and typed", path: "/v1/events?sort=-date&type=exercise", status: http.StatusOK},
	{name: "events repeated list parameter", path: "/v1/events?type=exercise&type=summit", status: http.StatusOK},
	{name: "events misspelt parameter", path: "/v1/events?yaer=2019", status: http.StatusBadRequest, invalidParam: "yaer"},
	{name: "events limit 0", path: "/v1/events?limit=0", status: http.StatusBadRequest, invalidParam: "limit"},
	{name: "events limit 501", path: "/v1/events?limit=501", status: http.StatusBadRequest, invalidParam: "limit"},
	{name: "events repeated limit", path: "/v1/events?limit=1&limit=2", status: http.StatusBadRequest, invalidParam: "limit"},
	{name: "events month 13", path: "/v1/events?from=2019-13", status: http.StatusBadRequest, invalidParam: "from"},
	{name: "events to before from", path: "/v1/events?from=2020&to=2019", status: http.StatusBadRequest, invalidParam: "to"},
	{name: "events bad cursor", path: "/v1/events?cursor=garbage", status: http.StatusBadRequest, invalidParam: "cursor"},
	{name: "events unknown type", path: "/v1/events?type=party", status: http.StatusBadRequest, invalidParam: "type"},
	{name: "event", path: "/v1/events/csto-2019-10-battle-brotherhood", status: http.StatusOK},
	{name: "event unknown", path: "/v1/events/does-not-exist", status: http.StatusNotFound},
	{name: "event with a parameter", path: "/v1/events/csto-2019-10-battle-brotherhood?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "years", path: "/v1/years", status: http.StatusOK},
	{name: "years of a type", path: "/v1/years?type=statement", status: http.StatusOK},
	{name: "years with limit", path: "/v1/years?limit=5", status: http.StatusBadRequest, invalidParam: "limit"},
	{name: "events as csv", path: "/v1/events?format=csv&year=2019", status: http.StatusOK},
	{name: "events as ndjson", path: "/v1/events?format=ndjson&type=statement", status: http.StatusOK},
	{name: "events as timelinejs", path: "/v1/events?format=timelinejs&timeline=csto", status: http.StatusOK},
	{name: "events by Accept csv", path: "/v1/events?year=2020", header: http.Header{"Accept": {"text/csv"}}, status: http.StatusOK},
	{name: "events not acceptable", path: "/v1/events?year=2020", header: http.Header{"Accept": {"application/xml"}}, status: http.StatusNotAcceptable},
	{name: "events bad format", path: "/v1/events?format=xml", status: http.StatusBadRequest, invalidParam: "format"},
	{name: "events csv with limit", path: "/v1/events?format=csv&limit=5", status: http.StatusBadRequest, invalidParam: "limit"},
	{name: "events.csv", path: "/v1/events.csv?year=2019&type=exercise", status: http.StatusOK},
	{name: "events.csv contradicted", path: "/v1/events.csv?format=ndjson", status: http.StatusBadRequest, invalidParam: "format"},
	{name: "events.ndjson", path: "/v1/events.ndjson?sort=-date", status: http.StatusOK},
	{name: "events.json", path: "/v1/events.json?limit=2&year=2019", status: http.StatusOK, check: contractWantNextPage},
	{name: "events.json counted", path: "/v1/events.json?year=2019&count=true", status: http.StatusOK},
	{name: "events.json contradicted", path: "/v1/events.json?format=csv", status: http.StatusBadRequest, invalidParam: "format"},
	{name: "events.json not modified", path: "/v1/events.json?type=summit", conditional: true, status: http.StatusNotModified},
	{name: "events counted", path: "/v1/events?type=summit&count=true", status: http.StatusOK},
	{name: "events counted by Prefer", path: "/v1/events?type=summit", header: http.Header{"Prefer": {"count=exact"}}, status: http.StatusOK},
	{name: "events empty cursor", path: "/v1/events?cursor=", status: http.StatusBadRequest, invalidParam: "cursor"},
	{name: "events.ndjson bad parameter", path: "/v1/events.ndjson?cursor=x", status: http.StatusBadRequest, invalidParam: "cursor"},
	{name: "timelines not modified", path: "/v1/timelines", conditional: true, status: http.StatusNotModified},
	{name: "timeline not modified", path: "/v1/timelines/csto", conditional: true, status: http.StatusNotModified},
	{name: "events not modified", path: "/v1/events?year=2019", conditional: true, status: http.StatusNotModified},
	{name: "event not modified", path: "/v1/events/csto-2002-activation", conditional: true, status: http.StatusNotModified},
	{name: "years not modified", path: "/v1/years", conditional: true, status: http.StatusNotModified},
	{name: "events.csv not modified", path: "/v1/events.csv?year=2019", conditional: true, status: http.StatusNotModified},
	{name: "events.ndjson not modified", path: "/v1/events.ndjson", conditional: true, status: http.StatusNotModified},
	{name: "events searched", path: "/v1/events?q=Lavrov+terrorist", status: http.StatusOK},
	{name: "events by relevance", path: "/v1/events?limit=2&q=csto&sort=relevance", status: http.StatusOK, check: contractWantNextPage},
	{name: "events by relevance, next page", path: "/v1/events?q=csto&sort=relevance&limit=2", followNext: true, status: http.StatusOK},
	{name: "events by name, within", path: "/v1/events?actor=ODKB&place=Kyrgyz+Republic&year=2019&match=within", status: http.StatusOK},
	{name: "events relevance without q", path: "/v1/events?sort=relevance", status: http.StatusBadRequest, invalidParam: "sort"},
	{name: "events q too long", path: "/v1/events?q=" + strings.Repeat("x", 201), status: http.StatusBadRequest, invalidParam: "q"},
	{name: "events bad match", path: "/v1/events?match=sometimes", status: http.StatusBadRequest, invalidParam: "match"},
	{name: "events.csv searched", path: "/v1/events.csv?q=peacekeeping&match=within&year=2020", status: http.StatusOK},
	{name: "years searched", path: "/v1/years?q=peacekeeping&match=within", status: http.StatusOK},
	{name: "facets", path: "/v1/facets", status: http.StatusOK},
	{name: "facets filtered", path: "/v1/facets?q=lavrov&year=2020&actor=ODKB&match=within", status: http.StatusOK},
	{name: "facets with sort", path: "/v1/facets?sort=date", status: http.StatusBadRequest, invalidParam: "sort"},
	{name: "facets not modified", path: "/v1/facets?type=statement", conditional: true, status: http.StatusNotModified},
	{name: "actors", path: "/v1/actors", status: http.StatusOK, check: contractWantLastPage},
	{name: "actors of a kind, paged", path: "/v1/actors?kind=person&limit=2", status: http.StatusOK, check: contractWantNextPage},
	{name: "actors next page", path: "/v1/actors?kind=person&limit=2", followNext: true, status: http.StatusOK},
	{name: "actors unknown kind", path: "/v1/actors?kind=country", status: http.StatusBadRequest, invalidParam: "kind"},
	{name: "actors not modified", path: "/v1/actors", conditional: true, status: http.StatusNotModified},
	{name: "actor", path: "/v1/actors/csto", status: http.StatusOK},
	{name: "actor unknown", path: "/v1/actors/nobody", status: http.StatusNotFound},
	{name: "actor with a parameter", path: "/v1/actors/csto?kind=state", status: http.StatusBadRequest, invalidParam: "kind"},
	{name: "actor not modified", path: "/v1/actors/csto", conditional: true, status: http.StatusNotModified},
	{name: "places", path: "/v1/places?kind=city,region", status: http.StatusOK},
	{name: "places paged", path: "/v1/places?limit=3", followNext: true, status: http.StatusOK, check: contractWantNextPage},
	{name: "places bad cursor", path: "/v1/places?cursor=garbage", status: http.StatusBadRequest, invalidParam: "cursor"},
	{name: "places not modified", path: "/v1/places", conditional: true, status: http.StatusNotModified},
	{name: "place", path: "/v1/places/kyrgyzstan", status: http.StatusOK},
	{name: "place in a country", path: "/v1/places/bishkek", status: http.StatusOK},
	{name: "place unknown", path: "/v1/places/atlantis", status: http.StatusNotFound},
	{name: "place with a parameter", path: "/v1/places/bishkek?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "place not modified", path: "/v1/places/bishkek", conditional: true, status: http.StatusNotModified},
	{name: "tags", path: "/v1/tags?limit=500", status: http.StatusOK, check: contractWantLastPage},
	{name: "tags paged", path: "/v1/tags?limit=5", followNext: true, status: http.StatusOK, check: contractWantNextPage},
	{name: "tags with a kind", path: "/v1/tags?kind=x", status: http.StatusBadRequest, invalidParam: "kind"},
	{name: "tags not modified", path: "/v1/tags", conditional: true, status: http.StatusNotModified},
	{name: "changes", path: "/v1/changes?limit=5", status: http.StatusOK},
	{name: "events updated since", path: "/v1/events?updated_since=2000-01-01T00:00:00Z&limit=3", status: http.StatusOK},
	{name: "events bad updated_since", path: "/v1/events?updated_since=yesterday", status: http.StatusBadRequest, invalidParam: "updated_since"},
	{name: "changes filtered", path: "/v1/changes?kind=event,timeline&timeline=csto&limit=3", status: http.StatusOK},
	{name: "changes as ndjson", path: "/v1/changes?format=ndjson&limit=20", status: http.StatusOK},
	{name: "changes bad token", path: "/v1/changes?since=nope", status: http.StatusBadRequest, invalidParam: "since"},
	{name: "timeline atom feed", path: "/v1/timelines/csto/feed.atom", status: http.StatusOK},
	{name: "atom feed unknown timeline", path: "/v1/timelines/nope/feed.atom", status: http.StatusNotFound},
	{name: "atom feed with a parameter", path: "/v1/timelines/csto/feed.atom?x=1", status: http.StatusBadRequest, invalidParam: "x"},
	{name: "revisions", path: "/v1/events/csto-2002-activation/revisions", status: http.StatusOK},
	{name: "revisions paged", path: "/v1/events/csto-2002-activation/revisions?limit=1", status: http.StatusOK},
	{name: "revisions unknown", path: "/v1/events/no-such-event/revisions", status: http.StatusNotFound},
	{name: "revisions bad cursor", path: "/v1/events/csto-2002-activation/revisions?cursor=!", status: http.StatusBadRequest, invalidParam: "cursor"},
	{name: "revision", path: "/v1/events/csto-2002-activation/revisions/1", status: http.StatusOK},
	{name: "revision unknown", path: "/v1/events/csto-2002-activation/revisions/99", status: http.StatusNotFound},
	{name: "revision with a parameter", path: "/v1/events/csto-2002-activation/revisions/1?x=1", status: http.StatusBadRequest, invalidParam: "x"},
}

// contractFailure is a database failure and the status it must cause.
type contractFailure struct {
	name   string
	err    error
	status int
}

var contractFailures = []contractFailure{
	{"unavailable", models.ErrUnavailable, http.StatusServiceUnavailable},
	{"timeout", context.DeadlineExceeded, http.StatusServiceUnavailable},
	{"statement-timeout", models.ErrTimeout, http.StatusServiceUnavailable},
	{"internal", errors.New("contract test: broken store"), http.StatusInternalServerError},
}

// contractFailureCases are requests against a backend whose database fails
// with f.err.
func contractFailureCases(f contractFailure) []contractCase {
	return []contractCase{
		// A failing readiness check is always 503: that is what it is for.
		{name: "readyz", path: "/readyz", status: http.StatusServiceUnavailable},
		// The liveness probe and the spec never touch the database.
		{name: "healthz", path: "/healthz", status: http.StatusOK},
		{name: "openapi.yaml", path: "/openapi.yaml", status: http.StatusOK, check: contractServesSpecFile},
		{name: "openapi.json", path: "/openapi.json", status: http.StatusOK, check: contractServesSpecJSON},
		{name: "metrics", path: "/metrics", status: http.StatusOK},
		{name: "timelines", path: "/v1/timelines", status: f.status},
		{name: "timeline", path: "/v1/timelines/csto", status: f.status},
		{name: "events", path: "/v1/events?year=2019", status: f.status},
		{name: "event", path: "/v1/events/csto-2019-10-battle-brotherhood", status: f.status},
		{name: "years", path: "/v1/years", status: f.status},
		{name: "events.csv", path: "/v1/events.csv", status: f.status},
		{name: "events.ndjson", path: "/v1/events.ndjson", status: f.status},
		{name: "events.json", path: "/v1/events.json", status: f.status},
		{name: "facets", path: "/v1/facets?q=lavrov", status: f.status},
		{name: "actors", path: "/v1/actors", status: f.status},
		{name: "actor", path: "/v1/actors/csto", status: f.status},
		{name: "places", path: "/v1/places", status: f.status},
		{name: "place", path: "/v1/places/bishkek", status: f.status},
		{name: "tags", path: "/v1/tags", status: f.status},
		{name: "oembed", path: "/oembed?url=http%3A%2F%2F127.0.0.1%2Ftimelines%2Fcsto", status: f.status},
		// A store without a write side answers every revision 503.
		{name: "revisions", path: "/v1/events/csto-2002-activation/revisions", status: http.StatusServiceUnavailable},
		{name: "changes", path: "/v1/changes", status: http.StatusServiceUnavailable},
		{name: "atom feed", path: "/v1/timelines/csto/feed.atom", status: http.StatusServiceUnavailable},
		{name: "revision", path: "/v1/events/csto-2002-activation/revisions/1", status: http.StatusServiceUnavailable},
		// Parameters are checked before the database is asked.
		{name: "events bad limit", path: "/v1/events?limit=0", status: http.StatusBadRequest, invalidParam: "limit"},
	}
}

// TestContractResponses validates real responses against the spec: those
// of every seeded backend, and the 500s and 503s of a backend whose
// database fails. Every operation must be exercised on every backend, and
// every status the spec documents must be produced by some request.
func TestContractResponses(t *testing.T) {
	spec := contractLoadSpec(t)
	specBytes, err := os.ReadFile(contractSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	backends, ran := 0, 0
	run := func(t *testing.T, b *backend, cases []contractCase, writes bool) {
		ran++
		seen := map[string]bool{}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if op := contractRun(t, spec, b, c); op != "" {
					seen[op] = true
				}
			})
		}
		for _, op := range spec.contractOperations() {
			if !seen[op] && strings.HasPrefix(op, "GET ") != writes {
				t.Errorf("%s: got no validated response on %s, want at least one (add a case)", op, b.name)
			}
		}
	}

	backends += len(shared)
	forEachBackend(t, func(t *testing.T, b *backend) {
		run(t, b, append(slices.Clone(contractReadCases), contractLimitCases(spec)...), false)
	})
	// Writes, on a database of their own, and with a write rate limit.
	for _, b := range freshBackends(t) {
		backends++
		t.Run("writes-"+b.name, func(t *testing.T) {
			run(t, b, contractWriteCases(t, b), true)
		})
	}
	backends++
	t.Run("write-rate-limited", func(t *testing.T) {
		router, err := api.New(shared[0].store, api.Config{Spec: specBytes, WriteRateLimit: 1e-6, WriteRateBurst: 1})
		if err != nil {
			t.Fatalf("api.New: %v", err)
		}
		srv := httptest.NewServer(router)
		defer srv.Close()
		// The shared database gets a key, nothing else.
		b := &backend{name: "write-rate-limited", server: srv, store: shared[0].store}
		b.keys = map[string]string{"admin": b.newKey(t, models.ScopeTimelinesAdmin, "", 0)}
		run(t, b, contractWriteRateLimitedCases(spec), true)
	})
	backends++
	t.Run("rate-limited", func(t *testing.T) {
		router, err := api.New(shared[0].store, api.Config{Spec: specBytes, RateLimit: 1e-6, RateBurst: 1, RateLimitLoopback: true})
		if err != nil {
			t.Fatalf("api.New: %v", err)
		}
		srv := httptest.NewServer(router)
		defer srv.Close()
		run(t, &backend{name: "rate-limited", server: srv}, contractRateLimitedCases(spec), false)
	})
	for _, f := range contractFailures {
		backends++
		t.Run("broken-"+f.name, func(t *testing.T) {
			router, err := api.New(contractBrokenStore{err: f.err}, api.Config{Spec: specBytes})
			if err != nil {
				t.Fatalf("api.New: %v", err)
			}
			srv := httptest.NewServer(router)
			defer srv.Close()
			run(t, &backend{name: "broken-" + f.name, server: srv}, append(contractFailureCases(f), contractWriteFailureCases(spec)...), false)
		})
	}

	if ran < backends {
		t.Logf("documented statuses not checked: %d of %d backends ran", ran, backends)
		return
	}
	for _, op := range spec.contractOperations() {
		t.Logf("%s: statuses validated %v", op, spec.covered[op])
		method, path, _ := strings.Cut(op, " ")
		documented := spec.doc.Paths.Value(path).GetOperation(method).Responses.Map()
		for _, status := range slices.Sorted(maps.Keys(documented)) {
			if status == "default" {
				continue
			}
			if !slices.ContainsFunc(spec.covered[op], func(n int) bool { return strconv.Itoa(n) == status }) {
				t.Errorf("%s: got no response with documented status %s, want one (add a case, or drop the status from %s if the service cannot answer it)",
					op, status, contractSpecPath)
			}
		}
	}
}

// TestContractUnknownRoute checks the 404 for a path or method no route
// matches. It is not an operation of the spec, so only its shape is
// checked: a Problem.
func TestContractUnknownRoute(t *testing.T) {
	spec := contractLoadSpec(t)
	problem := spec.doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		t.Fatalf("components.schemas.Problem: got none, want a schema")
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/v1/nothing"},
			{http.MethodGet, "/v1"},
			{http.MethodGet, "/v1/events/a/b"},
			{http.MethodGet, "/nothing?x=1"},
			// Unsupported methods are answered like unknown paths.
			{http.MethodPost, "/v1/events/csto-2019-10-battle-brotherhood"},
			{http.MethodDelete, "/v1/years"},
			{http.MethodPut, "/v1/actors/csto"},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				req := contractRequest(t, c.path)
				req.Method = c.method
				if route, _, err := spec.router.FindRoute(req); err == nil {
					t.Fatalf("%s %s: got operation %s %s in the spec, want none", c.method, c.path, route.Method, route.Path)
				}
				r := b.do(t, c.method, c.path, nil)
				if r.status != http.StatusNotFound {
					t.Errorf("%s %s: got status %d, want %d", c.method, c.path, r.status, http.StatusNotFound)
				}
				if got, want := r.header.Get("Content-Type"), "application/problem+json"; got != want {
					t.Errorf("%s %s: got Content-Type %q, want %q", c.method, c.path, got, want)
				}
				var body any
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatalf("%s %s: got body %s, want JSON: %v", c.method, c.path, truncate(string(r.body)), err)
				}
				if err := problem.Value.VisitJSON(body, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
					t.Errorf("%s %s: got body %s, want a Problem: %v", c.method, c.path, truncate(string(r.body)), err)
				}
				contractCheckProblem(t, c.path, r)
			})
		}
	})
}

// TestContractTrailingSlash checks the redirect the spec's conventions
// promise for a path with a trailing slash.
func TestContractTrailingSlash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		client := *b.server.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		for _, c := range []struct{ path, location string }{
			{"/v1/events/", "/v1/events"},
			{"/v1/timelines/", "/v1/timelines"},
			{"/healthz/", "/healthz"},
		} {
			res, err := client.Get(b.server.URL + c.path)
			if err != nil {
				t.Fatalf("GET %s: %v", c.path, err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusMovedPermanently {
				t.Errorf("GET %s: got status %d, want %d", c.path, res.StatusCode, http.StatusMovedPermanently)
			}
			if got := res.Header.Get("Location"); got != c.location {
				t.Errorf("GET %s: got Location %q, want %q", c.path, got, c.location)
			}
		}
	})
}

// contractBrokenStore is a store whose database always fails with err.
type contractBrokenStore struct{ err error }

func (s contractBrokenStore) Ping(context.Context) error { return s.err }
func (s contractBrokenStore) CountEvents(context.Context, models.EventFilter) (int, error) {
	return 0, s.err
}
func (s contractBrokenStore) DatasetState(context.Context) (models.DatasetState, error) {
	return models.DatasetState{}, s.err
}
func (s contractBrokenStore) StreamEvents(context.Context, models.EventFilter, int, func(int) error,
	func([]models.Event) error) error {
	return s.err
}
func (s contractBrokenStore) ListTimelines(context.Context) ([]models.Timeline, error) {
	return nil, s.err
}
func (s contractBrokenStore) FindTimelineByID(context.Context, string) (models.Timeline, error) {
	return models.Timeline{}, s.err
}
func (s contractBrokenStore) FindEvents(context.Context, models.EventFilter) ([]models.Event, bool, error) {
	return nil, false, s.err
}
func (s contractBrokenStore) FindEventByID(context.Context, string) (models.Event, error) {
	return models.Event{}, s.err
}
func (s contractBrokenStore) CountEventsByYear(context.Context, models.EventFilter) ([]models.YearCount, int, error) {
	return nil, 0, s.err
}
func (s contractBrokenStore) CountFacets(context.Context, models.EventFilter) (models.Facets, error) {
	return models.Facets{}, s.err
}
func (s contractBrokenStore) NamedIDs(context.Context, string, []string) (map[string][]string, error) {
	return nil, s.err
}
func (s contractBrokenStore) FindActors(context.Context, models.CatalogFilter) ([]models.ActorUsage, bool, error) {
	return nil, false, s.err
}
func (s contractBrokenStore) FindActorByID(context.Context, string) (models.ActorUsage, error) {
	return models.ActorUsage{}, s.err
}
func (s contractBrokenStore) FindPlaces(context.Context, models.CatalogFilter) ([]models.PlaceUsage, bool, error) {
	return nil, false, s.err
}
func (s contractBrokenStore) FindPlaceByID(context.Context, string) (models.PlaceUsage, error) {
	return models.PlaceUsage{}, s.err
}
func (s contractBrokenStore) FindTags(context.Context, models.CatalogFilter) ([]models.TagUsage, bool, error) {
	return nil, false, s.err
}

var _ api.Store = contractBrokenStore{}

// contractRun requests one case and validates the response against the
// spec. It returns the operation ("GET /v1/events") whose documentation
// the response matched, or "" when it matched none.
func contractRun(t *testing.T, spec *contractSpec, b *backend, c contractCase) string {
	t.Helper()
	path := c.path
	if c.followNext {
		first := b.get(t, path)
		first.wantStatus(t, http.StatusOK)
		var page eventPage
		first.decode(t, &page)
		if page.Links.Next == nil {
			t.Fatalf("GET %s: got links.next null, want a next page to follow", path)
		}
		path = *page.Links.Next
	}
	var r response
	method, header := http.MethodGet, http.Header{}
	switch {
	case c.method != "" && c.method != http.MethodGet:
		method = c.method
		ifMatch := c.ifMatch
		if at, ok := strings.CutPrefix(ifMatch, "@"); ok {
			ifMatch = b.get(t, at).etag()
		}
		var hs []string
		if ifMatch != "" {
			hs = append(hs, "If-Match", ifMatch)
		}
		if c.header != nil {
			for k := range c.header {
				hs = append(hs, k, c.header.Get(k))
			}
		}
		r = b.write(t, method, path, b.keys[c.key], c.contentType, c.body, hs...)
		for i := 0; i+1 < len(hs); i += 2 {
			header.Set(hs[i], hs[i+1])
		}
		if c.contentType != "" {
			header.Set("Content-Type", c.contentType)
		}
	case c.conditional:
		first := b.get(t, path)
		first.wantStatus(t, http.StatusOK)
		r = b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {first.header.Get("ETag")}})
	case c.header != nil:
		r = b.do(t, http.MethodGet, path, c.header)
	default:
		r = b.send(t, path, c.body)
	}
	if r.status != c.status {
		t.Errorf("%s %s: got status %d, want %d; body: %s", method, path, r.status, c.status, truncate(string(r.body)))
	}
	op := contractValidateRequest(t, spec, method, path, header, c.body, r)
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		contractCheckProblem(t, path, r)
	}
	if c.invalidParam != "" {
		contractWantInvalidParam(t, path, r, c.invalidParam)
	}
	if c.check != nil {
		c.check(t, path, r)
	}
	return op
}

// contractRequest is the request for path as the spec's router sees it.
func contractRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		t.Fatalf("new request %s: %v", path, err)
	}
	return req
}

// contractValidateRequest checks the response to a request against the
// operation the spec documents for it: an undocumented status, a missing or
// malformed documented header, an undocumented content type or a body that
// does not match the schema all fail. When the server accepted the request,
// the spec must accept it too, and a write's body is validated against the
// operation's request schema. It returns the operation when the response
// matched its documentation, "" otherwise.
func contractValidateRequest(t *testing.T, spec *contractSpec, method, path string, header http.Header, body string,
	r response) string {
	t.Helper()
	req := contractRequest(t, path)
	req.Method = method
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	route, pathParams, err := spec.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: got no operation in %s (%v), want one", method, path, contractSpecPath, err)
	}
	op := route.Method + " " + route.Path
	reqInput := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{SkipSettingDefaults: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if r.status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), reqInput); err != nil {
			t.Errorf("%s %s: got status %d from the server but the request is invalid per %s (%s): %v",
				method, path, r.status, contractSpecPath, op, err)
		}
	}
	resInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), resInput); err != nil {
		t.Errorf("%s %s (%s): got a %d response that %s does not describe: %v\nbody: %s",
			method, path, op, r.status, contractSpecPath, err, truncate(string(r.body)))
		return ""
	}
	if !slices.Contains(spec.covered[op], r.status) {
		spec.covered[op] = append(spec.covered[op], r.status)
		slices.Sort(spec.covered[op])
	}
	return op
}

// contractCheckProblem checks what the Problem schema cannot: the status
// member repeats the HTTP status and instance is the request's id, as
// sent in X-Request-ID.
func contractCheckProblem(t *testing.T, path string, r response) {
	t.Helper()
	var p problemDoc
	r.decode(t, &p)
	if p.Status != r.status {
		t.Errorf("GET %s: got problem status %d, want the HTTP status %d", path, p.Status, r.status)
	}
	if want := "urn:request:" + url.PathEscape(r.header.Get("X-Request-ID")); p.Instance != want {
		t.Errorf("GET %s: got problem instance %q, want %q (the request id)", path, p.Instance, want)
	}
}

func contractWantInvalidParam(t *testing.T, path string, r response, name string) {
	t.Helper()
	var p problemDoc
	r.decode(t, &p)
	var names []string
	for _, ip := range p.InvalidParams {
		names = append(names, ip.Name)
	}
	if !slices.Contains(names, name) {
		t.Errorf("GET %s: got invalid_params %v, want one named %q", path, names, name)
	}
}

// contractServesSpecFile checks that /openapi.yaml is this very document.
func contractServesSpecFile(t *testing.T, path string, r response) {
	t.Helper()
	want, err := os.ReadFile(contractSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, want) {
		t.Errorf("GET %s: got %d bytes, want the %d bytes of %s", path, len(r.body), len(want), contractSpecPath)
	}
}

// contractServesSpecJSON checks that /openapi.json is this document as
// JSON: an OpenAPI loader reads it to the same document as the YAML.
func contractServesSpecJSON(t *testing.T, path string, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: got Content-Type %q, want application/json", path, ct)
	}
	loader := openapi3.NewLoader()
	got, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("GET %s: not an OpenAPI document: %v", path, err)
	}
	want, err := loader.LoadFromFile(contractSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	gotJSON, err := got.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := want.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("GET %s: got a document (%d bytes re-encoded) that differs from %s (%d bytes re-encoded)",
			path, len(gotJSON), contractSpecPath, len(wantJSON))
	}
}

// contractWantNextPage checks that a page with more results links to the
// next one both in the body and in the Link header.
func contractWantNextPage(t *testing.T, path string, r response) {
	t.Helper()
	var page eventPage
	r.decode(t, &page)
	if page.Links.Next == nil {
		t.Fatalf("GET %s: got links.next null, want the next page", path)
	}
	if got, want := r.header.Get("Link"), "<"+*page.Links.Next+`>; rel="next"`; got != want {
		t.Errorf("GET %s: got Link %q, want %q", path, got, want)
	}
	if got, want := page.Links.Self, path; got != want {
		t.Errorf("GET %s: got links.self %q, want %q", path, got, want)
	}
}

// contractWantLastPage checks that the last page links nowhere.
func contractWantLastPage(t *testing.T, path string, r response) {
	t.Helper()
	var page eventPage
	r.decode(t, &page)
	if page.Links.Next != nil {
		t.Errorf("GET %s: got links.next %q, want null", path, *page.Links.Next)
	}
	if got := r.header.Values("Link"); len(got) != 0 {
		t.Errorf("GET %s: got Link %q, want none", path, got)
	}
}
