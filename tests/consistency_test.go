package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestConsistencyTokenWithoutReplicas checks the read side of the
// consistency token on a server without replicas: a well-formed token, as
// parameter or header, changes neither the answer nor its ETag (the
// parameter is not one the strict parameter check refuses), and a
// malformed one is a 400 problem naming where it came from.
func TestConsistencyTokenWithoutReplicas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		const list = "/v1/events?year=2019"
		plain := b.get(t, list)
		plain.wantStatus(t, http.StatusOK)
		for _, r := range []response{
			b.get(t, list+"&consistency=00000000DEADBEEF"),
			b.do(t, http.MethodGet, list, http.Header{"Timeline-Consistency": {"00000000DEADBEEF"}}),
		} {
			r.wantStatus(t, http.StatusOK)
			if got, want := r.header.Get("ETag"), plain.header.Get("ETag"); got != want {
				t.Errorf("ETag with a token: got %s, want %s (as without)", got, want)
			}
			if !bytes.Equal(r.body, plain.body) {
				t.Errorf("body with a token differs from the body without")
			}
		}
		for _, c := range []struct {
			name   string
			r      response
			naming string
		}{
			{"parameter", b.get(t, list+"&consistency=0/3000148"), `"consistency"`},
			{"header", b.do(t, http.MethodGet, list, http.Header{"Timeline-Consistency": {"zzzzzzzzzzzzzzzz"}}), `"Timeline-Consistency"`},
		} {
			c.r.wantStatus(t, http.StatusBadRequest)
			if ct := c.r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q, want application/problem+json", c.name, ct)
			}
			if !strings.Contains(string(c.r.body), c.naming) {
				t.Errorf("%s: problem %s does not name %s", c.name, c.r.body, c.naming)
			}
		}
	})
}

// TestConsistencyTokenOnEveryWrite checks the write side of the token.
// With replicas configured (here the test database itself, which is not
// in recovery and so never takes reads, but makes the store hand out
// tokens), every successful write carries a Timeline-Consistency token,
// whether it answers with a body (201, 200) or without (204), tokens never
// go backwards, and a refused write carries none. Without replicas no
// write carries one.
func TestConsistencyTokenOnEveryWrite(t *testing.T) {
	requirePostgres(t)
	for _, replicas := range []bool{false, true} {
		t.Run(map[bool]string{false: "without replicas", true: "with replicas"}[replicas], func(t *testing.T) {
			b, cleanup, err := newBackend(context.Background(), models.DialectPostgres)
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			if replicas {
				if err := b.store.UseReplicas(context.Background(), models.Config{DatabaseURL: b.dsn},
					models.ReplicaConfig{URLs: []string{b.dsn}}); err != nil {
					t.Fatal(err)
				}
			}
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			const loc = "/v1/events/consistency-every-write"
			var last models.ConsistencyToken
			for _, c := range []struct {
				name   string
				r      func() response
				status int
			}{
				{"POST", func() response {
					return b.write(t, "POST", "/v1/events", admin, jsonType, newEventBody("consistency-every-write", "One"))
				}, 201},
				{"PUT", func() response {
					return b.write(t, "PUT", loc, admin, jsonType, newEventBody("", "Two"), "If-Match", `"v1"`)
				}, 200},
				{"PATCH", func() response {
					return b.write(t, "PATCH", loc, admin, mergeType, `{"title": "Three"}`, "If-Match", `"v2"`)
				}, 200},
				{"stale DELETE", func() response { return b.write(t, "DELETE", loc, admin, "", "", "If-Match", `"v1"`) }, 412},
				{"DELETE", func() response { return b.write(t, "DELETE", loc, admin, "", "", "If-Match", `"v3"`) }, 204},
				{"POST actor", func() response {
					return b.write(t, "POST", "/v1/actors", admin, jsonType, `{"id": "consistency-actor", "name": "Consistency", "kind": "person"}`)
				}, 201},
			} {
				r := c.r()
				r.wantStatus(t, c.status)
				raw := r.header.Get("Timeline-Consistency")
				switch {
				case !replicas || c.status >= 300:
					if raw != "" {
						t.Errorf("%s (%d): got Timeline-Consistency %q, want none", c.name, c.status, raw)
					}
				default:
					tok, err := models.ParseConsistencyToken(raw)
					if err != nil {
						t.Errorf("%s (%d): Timeline-Consistency %q: %v, want a token", c.name, c.status, raw, err)
						continue
					}
					if tok < last {
						t.Errorf("%s: token %s is before the previous write's %s", c.name, tok, last)
					}
					last = tok
				}
			}
		})
	}
}

// TestConsistencyTokenAcrossOrigins: a script on another origin can read
// the token from a write's response and send it back with a read (CORS),
// and an HTTP cache does not answer a read carrying the token with a
// response it stored for a read without one (Vary).
func TestConsistencyTokenAcrossOrigins(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		origin := http.Header{"Origin": {"https://newsroom.example"}}
		pre := b.do(t, http.MethodOptions, "/v1/events?year=2019", http.Header{
			"Origin": origin["Origin"], "Access-Control-Request-Method": {"GET"},
			"Access-Control-Request-Headers": {"timeline-consistency"},
		})
		if allowed := strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")); pre.status != http.StatusNoContent ||
			!strings.Contains(allowed, "timeline-consistency") {
			t.Errorf("preflight of a read with the token: got %d, Access-Control-Allow-Headers %q; want 204 and the header allowed",
				pre.status, allowed)
		}
		for _, path := range []string{"/v1/events?year=2019", "/v1/events/csto-2002-activation"} {
			r := b.do(t, http.MethodGet, path, origin)
			r.wantStatus(t, http.StatusOK)
			if exposed := strings.ToLower(r.header.Get("Access-Control-Expose-Headers")); !strings.Contains(exposed, "timeline-consistency") {
				t.Errorf("GET %s: got Access-Control-Expose-Headers %q, want Timeline-Consistency in it", path, exposed)
			}
			if vary := strings.Join(r.header.Values("Vary"), ", "); !strings.Contains(vary, "Timeline-Consistency") {
				t.Errorf("GET %s: got Vary %q, want Timeline-Consistency in it", path, vary)
			}
		}
	})
}

// TestConsistencyParameterFollowsPages: a client that gives its token as
// the consistency parameter and pages by following links.next (and the
// Link header) keeps the token on every page, of events and of a
// catalog, so that no later page may come from a replica behind its
// write; the page it leads to is the same as without the token.
func TestConsistencyParameterFollowsPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		const token = "00000000DEADBEEF"
		for _, path := range []string{"/v1/events?limit=2", "/v1/actors?limit=2"} {
			var withToken, plain struct {
				Data  []json.RawMessage `json:"data"`
				Links struct {
					Next *string `json:"next"`
				} `json:"links"`
			}
			r := b.get(t, path+"&consistency="+token)
			r.wantStatus(t, http.StatusOK)
			if err := json.Unmarshal(r.body, &withToken); err != nil || withToken.Links.Next == nil {
				t.Fatalf("GET %s: want a page with links.next, got %s (%v)", path, r.body, err)
			}
			next := *withToken.Links.Next
			if !strings.Contains(next, "consistency="+token) {
				t.Errorf("GET %s with the parameter: links.next %s does not carry consistency=%s", path, next, token)
			}
			if link := r.header.Get("Link"); !strings.Contains(link, "consistency="+token) {
				t.Errorf("GET %s with the parameter: Link %s does not carry consistency=%s", path, link, token)
			}
			p := b.get(t, path)
			if err := json.Unmarshal(p.body, &plain); err != nil || plain.Links.Next == nil {
				t.Fatalf("GET %s: want a page with links.next, got %s (%v)", path, p.body, err)
			}
			if strings.Contains(*plain.Links.Next, "consistency") {
				t.Errorf("GET %s without a token: links.next %s carries one", path, *plain.Links.Next)
			}
			second, secondPlain := b.get(t, next), b.get(t, *plain.Links.Next)
			second.wantStatus(t, http.StatusOK)
			var got, want struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(second.body, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(secondPlain.body, &want); err != nil {
				t.Fatal(err)
			}
			if len(got.Data) < 3 || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("GET %s: the second page with the token differs from the one without", next)
			}
		}
	})
}
