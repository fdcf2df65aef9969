package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// response is a fetched HTTP response with its body read.
type response struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
}

// get fetches path from b over real HTTP.
func (b *backend) get(t *testing.T, path string) response {
	t.Helper()
	return b.do(t, http.MethodGet, path, nil)
}

func (b *backend) do(t *testing.T, method, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, b.server.URL+path, nil)
	if err != nil {
		t.Fatalf("new request %s: %v", path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := b.server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return response{status: res.StatusCode, header: res.Header, trailer: res.Trailer, body: body}
}

// decode unmarshals the body into v, failing the test on error.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", truncate(string(r.body)), err)
	}
}

// wantStatus fails unless the response has the status.
func (r response) wantStatus(t *testing.T, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("got status %d, want %d; body: %s", r.status, want, truncate(string(r.body)))
	}
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// Wire types as a client sees them.

type eventDoc struct {
	ID            string `json:"id"`
	Timeline      string `json:"timeline"`
	Title         string `json:"title"`
	StartDate     string `json:"start_date"`
	EndDate       string `json:"end_date"`
	DatePrecision string `json:"date_precision"`
	Approximate   bool   `json:"approximate"`
	DisplayDate   string `json:"display_date"`
	EDTF          string `json:"edtf"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	Actors        []struct {
		ID, Name, Kind, Role string
	} `json:"actors"`
	Places []struct {
		ID, Name, Kind string
	} `json:"places"`
	Tags    []string `json:"tags"`
	Sources []struct {
		SourceID      string `json:"source_id"`
		Title         string `json:"title"`
		Author        string `json:"author"`
		PublishedDate string `json:"published_date"`
		Quote         string `json:"quote"`
	} `json:"sources"`
}

type eventPage struct {
	Data  []eventDoc `json:"data"`
	Links struct {
		Self string  `json:"self"`
		Next *string `json:"next"`
	} `json:"links"`
	Meta struct {
		Count int    `json:"count"`
		Limit int    `json:"limit"`
		Sort  string `json:"sort"`
	} `json:"meta"`
}

type problemDoc struct {
	Type          string `json:"type"`
	Title         string `json:"title"`
	Status        int    `json:"status"`
	Detail        string `json:"detail"`
	Instance      string `json:"instance"`
	InvalidParams []struct {
		Name   string `json:"name"`
		Reason string `json:"reason"`
	} `json:"invalid_params"`
}

// events fetches one page of /v1/events with the query.
func (b *backend) events(t *testing.T, query string) eventPage {
	t.Helper()
	path := "/v1/events"
	if query != "" {
		path += "?" + query
	}
	r := b.get(t, path)
	r.wantStatus(t, http.StatusOK)
	var p eventPage
	r.decode(t, &p)
	return p
}

// allEvents follows links.next from the query to the end.
func (b *backend) allEvents(t *testing.T, query string) []eventDoc {
	t.Helper()
	var out []eventDoc
	path := "/v1/events?" + query
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("paging %q did not end", query)
		}
		r := b.get(t, path)
		r.wantStatus(t, http.StatusOK)
		var p eventPage
		r.decode(t, &p)
		out = append(out, p.Data...)
		if p.Links.Next == nil {
			return out
		}
		path = *p.Links.Next
	}
}

func ids(events []eventDoc) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}
