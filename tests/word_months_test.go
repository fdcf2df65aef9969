package tests

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestWordMonthNodes checks event_month_nodes (migration 0017) against its
// reader: for a span of months a..b and any month m (numbered year * 12 +
// month - 1), exactly one of the blocks the function cuts a..b into holds
// m when a <= m <= b, and none otherwise. A block of level lv holding m
// has the node_key lv*131072 + m>>(2·lv), as the page query reads them
// (monthKeys). The months are the edges of the tree's blocks, the first
// and last months of years 1 and 9999, and the generated data's.
func TestWordMonthNodes(t *testing.T) {
	requirePostgres(t)
	var b *backend
	for _, s := range shared {
		if s.name == models.DialectPostgres {
			b = s
		}
	}
	if b == nil {
		t.Fatal("no shared PostgreSQL backend")
	}
	months := []int{12, 13, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097,
		16383, 16384, 16385, 22800, 24227, 24228, 24237, 24240, 65535, 65536, 65537, 119998, 119999}
	var rows []struct {
		A, B, M, N int
	}
	if err := b.store.DB().Raw(`WITH ms AS (SELECT unnest(?::int[]) AS m)
		SELECT a.m AS a, b.m AS b, m.m AS m, (SELECT count(*) FROM event_month_nodes(a.m, b.m) n
			WHERE n IN (SELECT lv * 131072 + (m.m >> (2 * lv)) FROM generate_series(0, 8) AS lv)) AS n
		FROM ms a, ms b, ms m`, "{"+strings.Join(intStrings(months), ",")+"}").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := 0
		if r.A <= r.M && r.M <= r.B {
			want = 1
		}
		if r.N != want {
			t.Errorf("months %d..%d: %d blocks hold %d, want %d", r.A, r.B, r.N, r.M, want)
		}
	}
	if len(rows) != len(months)*len(months)*len(months) {
		t.Fatalf("checked %d cases, want %d", len(rows), len(months)*len(months)*len(months))
	}
	var most, month int
	if err := b.store.DB().Raw(`SELECT (SELECT count(*) FROM event_month_nodes(12, 119999)), event_month('2019-10-15')`).
		Row().Scan(&most, &month); err != nil {
		t.Fatal(err)
	}
	if most > 54 {
		t.Errorf("the months of years 1 to 9999 take %d blocks, want at most 54", most)
	}
	if month != 2019*12+9 {
		t.Errorf("event_month(2019-10-15) = %d, want %d", month, 2019*12+9)
	}
}

// TestWordMonthsPages checks on generated data that a search with a period
// returns, page after page, exactly the events a plain statement finds
// (the search condition and the overlap, sorted), for words of every
// frequency, one year, two years, a month, mid-month dates and an open
// end, in both orders: the pages read the word's events that run into a
// month from event_word_months (migration 0017) and choose between arms
// by probes.
func TestWordMonthsPages(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 events")
	}
	d := explainSetup(t, 20000)
	words := []string{explainWord(0, 1), explainWord(1, 10), explainWord(2, 1000), explainWord(3, 100),
		explainWord(1, 10) + " or " + explainWord(3, 100), explainWord(0, 1) + " " + explainWord(1, 3)}
	periods := []struct {
		name     string
		years    []int
		from, to string
	}{
		{name: "2019", years: []int{2019}},
		{name: "1950", years: []int{1950}},
		{name: "2019+2021", years: []int{2019, 2021}},
		{name: "2019-10", from: "2019-10-01", to: "2019-10-31"},
		{name: "2019-10-15 to 2019-11-14", from: "2019-10-15", to: "2019-11-14"},
		{name: "from 2012-06-15", from: "2012-06-15"},
	}
	var total int
	for _, w := range words {
		q, err := models.ParseSearchQuery(w)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range periods {
			for _, desc := range []bool{false, true} {
				name := fmt.Sprintf("q=%s %s desc=%v", w, p.name, desc)
				// The plain statement: overlap of each period, then the order.
				cond, args := "search_vector @@ websearch_to_tsquery('english', ?)", []any{w}
				var overlaps []string
				for _, y := range p.years {
					overlaps = append(overlaps, "(start_date <= ? AND end_date >= ?)")
					args = append(args, fmt.Sprintf("%d-12-31", y), fmt.Sprintf("%d-01-01", y))
				}
				if p.from != "" {
					o := "end_date >= ?"
					args = append(args, p.from)
					if p.to != "" {
						o += " AND start_date <= ?"
						args = append(args, p.to)
					}
					overlaps = append(overlaps, "("+o+")")
				}
				dir := "ASC"
				if desc {
					dir = "DESC"
				}
				var want []string
				if err := d.store.DB().Raw("SELECT id FROM events WHERE "+cond+" AND ("+strings.Join(overlaps, " OR ")+
					") ORDER BY start_date "+dir+", id "+dir, args...).Scan(&want).Error; err != nil {
					t.Fatal(err)
				}
				f := models.EventFilter{Limit: 7, Query: q, Years: p.years, Descending: desc}
				if p.from != "" {
					f.From = explainDate(p.from)
				}
				if p.to != "" {
					f.To = explainDate(p.to)
				}
				wantPages(t, d.store, name, f, want)
				total += len(want)
			}
		}
	}
	if total == 0 {
		t.Fatal("no search matched any event: the cases test nothing")
	}
	t.Logf("%d events compared", total)
}

// wantPages reads every page of f from store, following the cursor, and
// fails when the events are not want, in order.
func wantPages(t *testing.T, store *models.Store, name string, f models.EventFilter, want []string) {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > len(want)/f.Limit+2 {
			t.Fatalf("%s: more pages than %d events need", name, len(want))
		}
		evs, more, err := store.FindEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range evs {
			got = append(got, e.ID)
		}
		if !more {
			break
		}
		last := evs[len(evs)-1]
		f.After = &models.EventKey{StartDate: last.Span.Start, ID: last.ID}
	}
	if !slices.Equal(got, want) {
		head := func(s []string) []string { return s[:min(len(s), 8)] }
		t.Errorf("%s: got %d events %v, want %d %v", name, len(got), head(got), len(want), head(want))
	}
}

func intStrings(v []int) []string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return s
}
