package tests

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestReadmeCountsHold checks the counts the README states against the
// served data on both databases: the number of events of the dataset in
// its introduction, and every example query whose comment says how many
// events it returns ("# 22 events: …"). An editorial change that moves an
// event in or out of such a query fails here until the README says so.
func TestReadmeCountsHold(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	total := regexp.MustCompile(`(?m)^Treaty Organization\. (\d+) events, from`).FindSubmatch(readme)
	if total == nil {
		t.Fatal(`README: no "Treaty Organization. N events, from" in the introduction`)
	}
	examples := regexp.MustCompile(`curl '(?:localhost:8080)?/v1/events\?([^']*)'\s+# (\d+) events`).FindAllSubmatch(readme, -1)
	if len(examples) < 2 {
		t.Fatalf("README: got %d example queries with a stated count, want the two of \"Dates overlap\"", len(examples))
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		if got := len(b.allEvents(t, "")); strconv.Itoa(got) != string(total[1]) {
			t.Errorf("README introduction: says %s events, the service serves %d", total[1], got)
		}
		for _, ex := range examples {
			if got := len(b.allEvents(t, string(ex[1]))); strconv.Itoa(got) != string(ex[2]) {
				t.Errorf("README example ?%s: says %s events, got %d", ex[1], ex[2], got)
			}
		}
	})
}
