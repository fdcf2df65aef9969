package tests

import (
	"fmt"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestLinkTypePages checks on generated data that a link filter with a
// type returns, page after page, exactly the events a plain statement
// finds: one and two actors, a place, a tag, one and two types (and a
// type given twice), with and without a year, in both orders. Such pages
// read one range of (driver, type, start_date, event_id) per id and type
// (migration 0018).
func TestLinkTypePages(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 events")
	}
	d := explainSetup(t, 20000)
	cases := []struct {
		name   string
		filter models.EventFilter
		cond   string
		args   []any
	}{
		{name: "actor type", filter: models.EventFilter{Actors: []string{"explain-actor-001"}, Types: []string{"summit"}},
			cond: "EXISTS (SELECT 1 FROM event_actors l WHERE l.event_id = e.id AND l.actor_id IN ?) AND e.type IN ?",
			args: []any{[]string{"explain-actor-001"}, []string{"summit"}}},
		{name: "actors types", filter: models.EventFilter{Actors: []string{"explain-actor-001", "explain-actor-299"},
			Types: []string{"summit", "conflict", "summit"}},
			cond: "EXISTS (SELECT 1 FROM event_actors l WHERE l.event_id = e.id AND l.actor_id IN ?) AND e.type IN ?",
			args: []any{[]string{"explain-actor-001", "explain-actor-299"}, []string{"summit", "conflict"}}},
		{name: "place type", filter: models.EventFilter{Places: []string{"explain-place-001"}, Types: []string{"meeting"}},
			cond: "EXISTS (SELECT 1 FROM event_places l WHERE l.event_id = e.id AND l.place_id IN ?) AND e.type IN ?",
			args: []any{[]string{"explain-place-001"}, []string{"meeting"}}},
		{name: "tag types", filter: models.EventFilter{Tags: []string{"tag-001"}, Types: []string{"meeting", "summit"}},
			cond: "EXISTS (SELECT 1 FROM event_tags l WHERE l.event_id = e.id AND l.tag IN ?) AND e.type IN ?",
			args: []any{[]string{"tag-001"}, []string{"meeting", "summit"}}},
	}
	var total int
	for _, c := range cases {
		for _, year := range []int{0, 2019} {
			for _, desc := range []bool{false, true} {
				name := fmt.Sprintf("%s year=%d desc=%v", c.name, year, desc)
				cond, args := c.cond, append([]any{}, c.args...)
				f := c.filter
				f.Limit, f.Descending = 9, desc
				if year != 0 {
					f.Years = []int{year}
					cond += " AND e.start_date <= ? AND e.end_date >= ?"
					args = append(args, fmt.Sprintf("%d-12-31", year), fmt.Sprintf("%d-01-01", year))
				}
				dir := "ASC"
				if desc {
					dir = "DESC"
				}
				var want []string
				if err := d.store.DB().Raw("SELECT e.id FROM events e WHERE "+cond+
					" ORDER BY e.start_date "+dir+", e.id "+dir, args...).Scan(&want).Error; err != nil {
					t.Fatal(err)
				}
				wantPages(t, d.store, name, f, want)
				total += len(want)
			}
		}
	}
	if total == 0 {
		t.Fatal("no filter matched any event: the cases test nothing")
	}
	t.Logf("%d events compared", total)
}
