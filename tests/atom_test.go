package tests

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/tests/skipreport"
)

func init() {
	// The Atom feed is validated as the string the spec says it is.
	openapi3filter.RegisterBodyDecoder("application/atom+xml", openapi3filter.FileBodyDecoder)
}

// feedparserScript parses an Atom document from stdin with Debian's
// python3-feedparser and prints what it understood as JSON.
const feedparserScript = `
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
  "bozo": int(d.bozo), "bozo_exception": str(d.get("bozo_exception", "")), "version": d.version,
  "title": d.feed.get("title", ""), "id": d.feed.get("id", ""),
  "entries": [{"id": e.get("id", ""), "title": e.get("title", ""), "link": " ".join(l.get("href", "") for l in e.get("links", []) if l.get("rel") == "alternate"),
               "updated": e.get("updated", ""), "summary": e.get("summary", "")} for e in d.entries]}))
`

// TestTimelineAtomFeed: the Atom feed of a timeline, read by a real feed
// parser, lists the new, corrected and retracted events newest first, each
// linking to its event and saying what changed.
func TestTimelineAtomFeed(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import feedparser").Run(); err != nil {
		skipreport.Missing(t, "python3-feedparser for /usr/bin/python3 (apt-get install python3-feedparser): %v", err)
	}
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			m := models.WriteMeta{KeyID: "test"}
			if _, _, err := b.store.CreateEvent(ctx, feedDoc("atom-new", "A new event & more"), m); err != nil {
				t.Fatal(err)
			}
			d := feedDoc("atom-new", "A corrected event")
			d.Date = "2020-05-27"
			if _, _, err := b.store.ReplaceEvent(ctx, d, 1, m); err != nil {
				t.Fatal(err)
			}
			if _, _, err := b.store.CreateEvent(ctx, feedDoc("atom-gone", "An event soon retracted"), m); err != nil {
				t.Fatal(err)
			}
			if _, err := b.store.RetractEvent(ctx, "atom-gone", 1, m); err != nil {
				t.Fatal(err)
			}
			r := b.get(t, "/v1/timelines/csto/feed.atom")
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/atom+xml") {
				t.Fatalf("got %d %s, want 200 application/atom+xml", r.status, r.header.Get("Content-Type"))
			}
			cmd := exec.Command("/usr/bin/python3", "-c", feedparserScript)
			cmd.Stdin = strings.NewReader(string(r.body))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("feedparser: %v", err)
			}
			var got struct {
				Bozo          int    `json:"bozo"`
				BozoException string `json:"bozo_exception"`
				Version       string `json:"version"`
				Title         string `json:"title"`
				Entries       []struct {
					ID, Title, Link, Updated, Summary string
				} `json:"entries"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("feedparser output %s: %v", out, err)
			}
			if got.Bozo != 0 || got.Version != "atom10" {
				t.Fatalf("feedparser: got bozo %d (%s), version %q; want a well-formed atom10 feed", got.Bozo, got.BozoException, got.Version)
			}
			if len(got.Entries) < 4 || len(got.Entries) > 50 {
				t.Fatalf("got %d entries, want 4 to 50", len(got.Entries))
			}
			want := []struct{ title, link, summary string }{
				{"Retracted: An event soon retracted", "/v1/events/atom-gone", "retracted"},
				{"New: An event soon retracted", "/v1/events/atom-gone", ""},
				{"Corrected: A corrected event", "/v1/events/atom-new", "Changed: date, title."},
				{"New: A new event & more", "/v1/events/atom-new", ""},
			}
			for i, w := range want {
				e := got.Entries[i]
				if e.Title != w.title || !strings.HasSuffix(e.Link, w.link) || !strings.Contains(e.Summary, w.summary) {
					t.Errorf("entry %d: got %q %q %q, want %q linking to %s, saying %q", i, e.Title, e.Link, e.Summary,
						w.title, w.link, w.summary)
				}
			}
			ids := map[string]bool{}
			for i, e := range got.Entries {
				if ids[e.ID] {
					t.Errorf("entry id %s repeated", e.ID)
				}
				ids[e.ID] = true
				if i > 0 && e.Updated > got.Entries[i-1].Updated {
					t.Errorf("entry %d is newer than entry %d: not newest first", i, i-1)
				}
			}
			if r := b.get(t, "/v1/timelines/nope/feed.atom"); r.status != 404 {
				t.Errorf("unknown timeline: got %d, want 404", r.status)
			}
		})
	}
}
