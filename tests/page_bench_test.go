package tests

// BenchmarkEventsPage serves GET /v1/events pages through the real router
// (in process, no network) on a kept generated database, for CPU profiles
// of the whole read path:
//
//	EXPLAIN_ROWS=10000 EXPLAIN_KEEP_DB=timeline_kept_bench_10000 \
//	  go test ./tests/ -run '^$' -bench EventsPage -benchtime 3000x -cpuprofile /tmp/cpu.out
//	go tool pprof -top -nodecount 25 /tmp/cpu.out

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/csto-timeline/timeline/api"
)

func BenchmarkEventsPage(b *testing.B) {
	d := explainSetup(b, explainRowCount(b))
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		b.Fatal(err)
	}
	router, err := api.New(d.store, api.Config{Spec: spec, CursorKey: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/v1/events?limit=50", "/v1/events?year=2019&limit=50"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				router.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("got %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
