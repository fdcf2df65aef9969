package tests

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
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
