package tests

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/api"
)

// TestRateLimitSparesLoopback: by default a client on this machine is not
// limited, so a notebook on the laptop that runs the service can loop;
// a client behind a trusted proxy (its forwarded address is not loopback)
// still is, and RateLimitLoopback limits loopback clients too.
func TestRateLimitSparesLoopback(t *testing.T) {
	local := opsServer(t, api.Config{RateLimit: 1e-6, RateBurst: 1})
	for i := range 5 {
		if r := local.get(t, "/v1/timelines"); r.status != http.StatusOK {
			t.Fatalf("loopback request %d: got %d, want 200 (loopback is not limited by default)", i+1, r.status)
		}
	}
	proxied := opsServer(t, api.Config{RateLimit: 1e-6, RateBurst: 1, TrustedProxies: []string{"127.0.0.1", "::1"}})
	remote := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	if r := proxied.do(t, http.MethodGet, "/v1/timelines", remote); r.status != http.StatusOK {
		t.Fatalf("first forwarded request: got %d, want 200", r.status)
	}
	wantProblem(t, "second forwarded request", proxied.do(t, http.MethodGet, "/v1/timelines", remote),
		http.StatusTooManyRequests, "rate-limited")
	strict := opsServer(t, api.Config{RateLimit: 1e-6, RateBurst: 1, RateLimitLoopback: true})
	strict.get(t, "/v1/timelines").wantStatus(t, http.StatusOK)
	wantProblem(t, "second loopback request with RateLimitLoopback", strict.get(t, "/v1/timelines"),
		http.StatusTooManyRequests, "rate-limited")
}

// TestMetricsMux: with a MetricsMux the router answers 404 on /metrics and
// the mux serves the router's metrics.
func TestMetricsMux(t *testing.T) {
	mux := http.NewServeMux()
	router, err := api.New(shared[0].store, api.Config{MetricsMux: mux})
	if err != nil {
		t.Fatal(err)
	}
	public := httptest.NewServer(router)
	defer public.Close()
	private := httptest.NewServer(mux)
	defer private.Close()
	pub := &backend{name: "public", server: public}
	pub.get(t, "/v1/timelines").wantStatus(t, http.StatusOK)
	wantProblem(t, "public /metrics", pub.get(t, "/metrics"), http.StatusNotFound, "not-found")
	r := (&backend{name: "private", server: private}).get(t, "/metrics")
	r.wantStatus(t, http.StatusOK)
	if want := `timeline_http_requests_total{method="GET",route="/v1/timelines",status="200"} 1`; !strings.Contains(string(r.body), want) {
		t.Errorf("private /metrics: got %.400s, want %s", r.body, want)
	}
}
