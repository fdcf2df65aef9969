package tests

// Benchmarks of Store.FindEvents on the generated data of explain_test.go:
//
//	EXPLAIN_ROWS=1000000 go test ./tests/ -run '^$' -bench FindEvents -benchtime 200x
//
// Each reports rows/op (events returned, relations loaded) and
// buffers/query (shared buffers of one EXPLAIN (ANALYZE, BUFFERS) of the
// events query, the time-independent measure of its work).

import (
	"context"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// explainBenchCases are the filters benchmarked, a subset of explainCases.
var explainBenchCases = []string{
	"none", "year-2019", "years-2019-2021", "from-to-month", "from-only-1950", "year-2019-descending",
	"timeline", "types", "actor-frequent", "actor-uncommon", "tags", "after-middle", "year-type-actor",
}

func BenchmarkFindEvents(b *testing.B) {
	d := explainSetup(b, explainRowCount(b))
	b.Logf("%s", d)
	ctx := context.Background()
	cases := map[string]models.EventFilter{}
	for _, c := range explainCases(d) {
		cases[c.name] = c.filter
	}
	for _, name := range explainBenchCases {
		f, ok := cases[name]
		if !ok {
			b.Fatalf("no explain case %q", name)
		}
		b.Run(name, func(b *testing.B) {
			explainBench(ctx, b, d, f)
		})
	}
	// Walking 20 pages of a year with the keyset cursor, as a client
	// following links.next does: each page costs the same as the first.
	b.Run("year-2019-20-pages", func(b *testing.B) {
		rows := 0
		for b.Loop() {
			f := models.EventFilter{Years: []int{2019}, Limit: 50}
			for range 20 {
				events, more, err := d.store.FindEvents(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				rows += len(events)
				if !more {
					break
				}
				last := events[len(events)-1]
				f.After = &models.EventKey{StartDate: last.Span.Start, ID: last.ID}
			}
		}
		b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	})
}

// explainBench times FindEvents for f and reports its rows and buffers.
func explainBench(ctx context.Context, b *testing.B, d *explainData, f models.EventFilter) {
	lines, err := d.store.ExplainEvents(ctx, f, true)
	if err != nil {
		b.Fatal(err)
	}
	buffers := explainParsePlan(lines).buffers
	rows := 0
	for b.Loop() {
		events, _, err := d.store.FindEvents(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		rows += len(events)
	}
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	b.ReportMetric(float64(buffers), "buffers/query")
}
