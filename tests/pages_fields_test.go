package tests

// What the home page and the explorer's event list show, field by field,
// against the API; the links of a selection (NDJSON, the timeline view);
// and that every value from the data is escaped on every page.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// TestPagesHome checks that the home page lists every timeline of
// /v1/timelines with its title (a link to its explorer), description,
// sources, number of events and first and last date.
func TestPagesHome(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var list struct {
			Data []struct {
				ID, Title, Description string
				EventCount             int    `json:"event_count"`
				StartDate              string `json:"start_date"`
				EndDate                string `json:"end_date"`
				Sources                []struct{ Title, Author string }
			} `json:"data"`
		}
		api := b.get(t, "/v1/timelines")
		api.wantStatus(t, http.StatusOK)
		api.decode(t, &list)
		r := b.get(t, "/")
		r.wantStatus(t, http.StatusOK)
		items := pagesFind(pagesParse(t, r.body), "ul", "class", "timelines")
		if len(items) != 1 || len(list.Data) == 0 {
			t.Fatalf("got %d lists of timelines, want 1, and timelines in the API (%d)", len(items), len(list.Data))
		}
		lis := pagesFind(items[0], "li", "", "")
		if len(lis) != len(list.Data) {
			t.Fatalf("got %d timelines on the home page, want the API's %d", len(lis), len(list.Data))
		}
		for i, tl := range list.Data {
			li := lis[i]
			h := pagesFind(li, "a", "href", "/timelines/"+tl.ID)
			if len(h) == 0 || timelinejsBrowserText(h[0]) != timelinejsBrowserSpace(tl.Title) {
				t.Errorf("timeline %s: got no link to /timelines/%s reading %q", tl.ID, tl.ID, tl.Title)
			}
			text := timelinejsBrowserText(li)
			facts := map[string]string{}
			for _, dt := range pagesFind(li, "dt", "", "") {
				if dd := dt.NextSibling; dd != nil && dd.Type == html.ElementNode && dd.Data == "dd" {
					facts[timelinejsBrowserText(dt)] = timelinejsBrowserText(dd)
				}
			}
			want := map[string]string{"Events": strconv.Itoa(tl.EventCount), "From": tl.StartDate, "To": tl.EndDate}
			if diff := cmp.Diff(want, facts); diff != "" {
				t.Errorf("timeline %s: facts (-api +page):\n%s", tl.ID, diff)
			}
			if !strings.Contains(text, timelinejsBrowserSpace(tl.Description)) {
				t.Errorf("timeline %s: the home page does not show its description", tl.ID)
			}
			if len(tl.Sources) == 0 {
				t.Errorf("timeline %s: the API gives no source to check", tl.ID)
			}
			for _, s := range tl.Sources {
				if !strings.Contains(text, s.Title) || !strings.Contains(text, s.Author) {
					t.Errorf("timeline %s: the home page does not show its source %q by %q", tl.ID, s.Title, s.Author)
				}
			}
		}
	})
}

// TestPagesEventList checks every event of the timeline as the explorer
// lists it: its display_date, its title linking to its page, its summary,
// each verbatim quote with its source, and its actors and places as links
// that filter the timeline by them (and keep the event).
func TestPagesEventList(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var all struct {
			Data []struct {
				eventDoc
				Summary string `json:"summary"`
			} `json:"data"`
		}
		api := b.get(t, "/v1/events?timeline=csto&limit=100")
		api.wantStatus(t, http.StatusOK)
		api.decode(t, &all)
		r := b.get(t, "/timelines/csto?limit=100")
		r.wantStatus(t, http.StatusOK)
		doc := pagesParse(t, r.body)
		items := map[string]*html.Node{}
		for _, li := range pagesFind(doc, "li", "class", "event") {
			items[timelinejsBrowserAttr(li, "id")] = li
		}
		if len(items) != len(all.Data) || len(all.Data) == 0 {
			t.Fatalf("got %d events on the page, want the API's %d", len(items), len(all.Data))
		}
		filters := map[string]string{}
		for _, e := range all.Data {
			li := items[e.ID]
			if li == nil {
				t.Errorf("%s is not listed", e.ID)
				continue
			}
			if got := timelinejsBrowserFirstText(li, "date"); got != timelinejsBrowserSpace(e.DisplayDate) {
				t.Errorf("%s: got date %q, want display_date %q", e.ID, got, e.DisplayDate)
			}
			if a := pagesFind(li, "a", "href", "/events/"+e.ID); len(a) != 1 || timelinejsBrowserText(a[0]) != timelinejsBrowserSpace(e.Title) {
				t.Errorf("%s: got no title %q linking to its page", e.ID, e.Title)
			}
			text := timelinejsBrowserText(li)
			if !strings.Contains(text, timelinejsBrowserSpace(e.Summary)) {
				t.Errorf("%s: the summary is not shown", e.ID)
			}
			quotes := pagesFind(li, "blockquote", "", "")
			if len(quotes) != len(e.Sources) {
				t.Errorf("%s: got %d quotes, want %d", e.ID, len(quotes), len(e.Sources))
				continue
			}
			for i, s := range e.Sources {
				if got := timelinejsBrowserText(pagesFind(quotes[i], "p", "", "")[0]); got != timelinejsBrowserSpace(s.Quote) {
					t.Errorf("%s: quote %d: got %q, want %q verbatim", e.ID, i, got, s.Quote)
				}
				if cite := pagesFind(quotes[i], "cite", "", ""); len(cite) != 1 || timelinejsBrowserText(cite[0]) != timelinejsBrowserSpace(s.Title) {
					t.Errorf("%s: quote %d: got no source %q", e.ID, i, s.Title)
				}
			}
			for _, a := range e.Actors {
				href := "/timelines/csto?" + url.Values{"actor": {a.ID}}.Encode()
				if l := pagesFind(li, "a", "href", href); len(l) != 1 || timelinejsBrowserText(l[0]) != a.Name {
					t.Errorf("%s: got no link %s reading %q", e.ID, href, a.Name)
				}
				filters[href] = e.ID
			}
			for _, p := range e.Places {
				href := "/timelines/csto?" + url.Values{"place": {p.ID}}.Encode()
				if l := pagesFind(li, "a", "href", href); len(l) != 1 || timelinejsBrowserText(l[0]) != p.Name {
					t.Errorf("%s: got no link %s reading %q", e.ID, href, p.Name)
				}
				filters[href] = e.ID
			}
		}
		// Each actor's and place's link lists the events the API gives
		// for that filter, among them the event it was found on.
		for href, id := range filters {
			u, _ := url.Parse(href)
			page := b.get(t, href+"&limit=100")
			page.wantStatus(t, http.StatusOK)
			got := pagesEventIDs(pagesParse(t, page.body))
			if diff := cmp.Diff(ids(b.allEvents(t, "timeline=csto&limit=100&"+u.RawQuery)), got); diff != "" {
				t.Errorf("%s (-api +page):\n%s", href, diff)
			}
			if !strings.Contains(strings.Join(got, " "), id) {
				t.Errorf("%s does not list %s, on which it was linked", href, id)
			}
		}
	})
}

// TestPagesSelectionLinks checks the links a filtered explorer page gives
// for its selection: NDJSON of the same events, and "view as timeline",
// the embed page of the same filters (not the page's cursor or size).
func TestPagesSelectionLinks(t *testing.T) {
	b := shared[0]
	filter := "from=2020-05&match=within&to=2020-05"
	r := b.get(t, "/timelines/csto?limit=5&"+filter)
	r.wantStatus(t, http.StatusOK)
	doc := pagesParse(t, r.body)
	next := pagesHref(doc, "next-page")
	if next == "" {
		t.Fatal("got no next page of 5")
	}
	r = b.get(t, next)
	r.wantStatus(t, http.StatusOK)
	doc = pagesParse(t, r.body)
	nd := b.get(t, pagesHref(doc, "download-ndjson"))
	nd.wantStatus(t, http.StatusOK)
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(nd.body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("NDJSON line %q: %v", sc.Text(), err)
		}
		got = append(got, e.ID)
	}
	if diff := cmp.Diff(ids(b.allEvents(t, "timeline=csto&limit=100&"+filter)), got); diff != "" {
		t.Errorf("NDJSON of the selection vs /v1/events (-api +ndjson):\n%s", diff)
	}
	if got, want := pagesHref(doc, "view-timeline"), "/embed/timelines/csto?"+filter; got != want {
		t.Errorf("view as timeline: got %q, want %q", got, want)
	}
}

// TestPagesChipsFollowNames: a filter chosen by a name or an alias selects
// the chip of the actor or place it answers to, and that chip's link drops
// it (it used to add the id beside the alias: a second filter on the same
// actor).
func TestPagesChipsFollowNames(t *testing.T) {
	const csto, moscow = "Collective Security Treaty Organization", "Moscow"
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, tc := range []struct{ query, param, label, want string }{
			{"actor=" + url.QueryEscape("ОДКБ"), "actor", csto, "/timelines/csto"},
			{"actor=" + url.QueryEscape(csto), "actor", csto, "/timelines/csto"},
			{"actor=csto", "actor", csto, "/timelines/csto"},
			{"place=" + url.QueryEscape("Москва"), "place", moscow, "/timelines/csto"},
			{"actor=" + url.QueryEscape("ОДКБ") + "&year=2019", "actor", csto, "/timelines/csto?year=2019"},
			{"actor=CSTO,nato", "actor", csto, "/timelines/csto?actor=nato"},
		} {
			r := b.get(t, "/timelines/csto?"+tc.query)
			r.wantStatus(t, http.StatusOK)
			var chip *html.Node
			for _, sec := range pagesFind(pagesParse(t, r.body), "section", "data-param", tc.param) {
				for _, a := range pagesFind(sec, "a", "", "") {
					if label, _, _ := strings.Cut(timelinejsBrowserText(a), " "+pagesChipCount(a)); label == tc.label {
						chip = a
					}
				}
			}
			if chip == nil {
				t.Errorf("%s: no %s chip %q", tc.query, tc.param, tc.label)
				continue
			}
			if timelinejsBrowserAttr(chip, "class") != "selected" || timelinejsBrowserAttr(chip, "aria-current") != "true" {
				t.Errorf("%s: the %s chip %q is not selected", tc.query, tc.param, tc.label)
			}
			if got := timelinejsBrowserAttr(chip, "href"); got != tc.want {
				t.Errorf("%s: the selected chip links to %q, want %q (the filter dropped)", tc.query, got, tc.want)
			}
		}
	})
}

// pagesChipCount is the count a chip shows.
func pagesChipCount(a *html.Node) string {
	for _, n := range pagesFind(a, "span", "class", "n") {
		return timelinejsBrowserText(n)
	}
	return ""
}

// pagesEvil is markup in data: every page must show it as text.
const pagesEvil = `</script><img src=x onerror=alert(1)> & "late" May`

// TestPagesEscapeData writes markup into every text a page shows (a
// timeline's title and description, an event's title, summary, date and
// quote, an actor's name) and checks that each page shows it as text:
// no element comes out of the data, and the JSON-LD, the oEmbed's iframe
// title and the embed page's attributes still parse and say it verbatim.
func TestPagesEscapeData(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			const id = "csto-2020-05-26-lavrov-biosecurity"
			for _, q := range []string{
				"UPDATE timelines SET title = ?, description = ? WHERE id = 'csto'",
				"UPDATE events SET title = ?, summary = ? WHERE id = '" + id + "'",
				"UPDATE events SET display_date = ? WHERE id = '" + id + "' AND ? <> ''",
				"UPDATE citations SET quote = ? WHERE event_id = '" + id + "' AND ? <> ''",
				"UPDATE actors SET name = ? WHERE id = 'sergey-lavrov' AND ? <> ''",
				"UPDATE dataset_state SET version = version + 1 WHERE ? <> ? OR true",
			} {
				if err := b.store.DB().Exec(q, pagesEvil, pagesEvil).Error; err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, path := range []string{"/", "/timelines/csto?from=2020-05-26&to=2020-05-26", "/events/" + id,
				"/embed/timelines/csto", "/timelines/csto?q=" + url.QueryEscape(pagesEvil)} {
				r := b.get(t, path)
				if r.status != http.StatusOK && r.status != http.StatusBadRequest {
					t.Fatalf("GET %s: got %d", path, r.status)
				}
				doc := pagesParse(t, r.body)
				if imgs := pagesFind(doc, "img", "", ""); len(imgs) > 0 {
					t.Errorf("GET %s: the data made an <img> element", path)
				}
				scripts := pagesFind(doc, "script", "", "")
				for _, s := range scripts {
					if timelinejsBrowserAttr(s, "src") == "" && timelinejsBrowserAttr(s, "type") != "application/ld+json" {
						t.Errorf("GET %s: the data made an inline script", path)
					}
				}
				text := timelinejsBrowserText(doc)
				if path == "/embed/timelines/csto" {
					// The embed's text is drawn by TimelineJS from the
					// API, which escapes it (TestTimelineJSEscapesEveryText);
					// the page has the title in its head.
					text = timelinejsBrowserText(pagesFind(doc, "title", "", "")[0])
				}
				if !strings.Contains(text, timelinejsBrowserSpace(pagesEvil)) {
					t.Errorf("GET %s: the page does not show %q as text", path, pagesEvil)
				}
				for _, s := range scripts {
					if timelinejsBrowserAttr(s, "type") != "application/ld+json" {
						continue
					}
					var ld struct{ Name, Description string }
					if err := json.Unmarshal([]byte(s.FirstChild.Data), &ld); err != nil {
						t.Fatalf("GET %s: JSON-LD: %v", path, err)
					}
					if ld.Name != pagesEvil || ld.Description != pagesEvil {
						t.Errorf("GET %s: got JSON-LD name %q, description %q, want both %q", path, ld.Name, ld.Description, pagesEvil)
					}
				}
			}
			r := b.get(t, "/oembed?url="+url.QueryEscape(pagesHost+"/timelines/csto"))
			r.wantStatus(t, http.StatusOK)
			var o struct{ Title, HTML string }
			r.decode(t, &o)
			frames := pagesFind(pagesParse(t, []byte(o.HTML)), "iframe", "", "")
			if o.Title != pagesEvil || len(frames) != 1 || timelinejsBrowserAttr(frames[0], "title") != pagesEvil+" (timeline)" {
				t.Errorf("oEmbed: got title %q and html %q, want the title as text in one iframe", o.Title, o.HTML)
			}
		})
	}
}
