package tests

// Tests of the pages for people (explorer, event page, embed page, docs)
// and of /oembed, over real HTTP through the real router against every
// backend. What a browser does with them is in pages_browser_test.go.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/csto-timeline/timeline/api"
)

// contractPageRoutes are the routes that serve HTML pages (and their
// assets) rather than API operations; openapi.yaml mentions them in its
// description but does not list them as operations.
var contractPageRoutes = []string{
	"GET /",
	"GET /timelines/{id}",
	"GET /events/{id}",
	"GET /embed/timelines/{id}",
	"GET /docs",
	"GET /static/{hash}/{path}",
}

// pagesHost is the host name of the test servers, as an oEmbed url names it.
const pagesHost = "http://127.0.0.1"

func init() {
	explorer := url.QueryEscape(pagesHost + "/timelines/csto?year=2019&type=exercise")
	contractReadCases = append(contractReadCases,
		contractCase{name: "oembed explorer", path: "/oembed?url=" + explorer, status: http.StatusOK},
		contractCase{name: "oembed embed url, small", path: "/oembed?maxwidth=300&maxheight=200&url=" +
			url.QueryEscape(pagesHost+"/embed/timelines/csto"), status: http.StatusOK},
		contractCase{name: "oembed not modified", path: "/oembed?url=" + explorer, conditional: true, status: http.StatusNotModified},
		contractCase{name: "oembed without url", path: "/oembed", status: http.StatusBadRequest, invalidParam: "url"},
		contractCase{name: "oembed bad maxwidth", path: "/oembed?maxwidth=wide&url=" + explorer, status: http.StatusBadRequest, invalidParam: "maxwidth"},
		contractCase{name: "oembed bad filter in url", path: "/oembed?url=" + url.QueryEscape(pagesHost+"/timelines/csto?year=19"),
			status: http.StatusBadRequest, invalidParam: "url"},
		contractCase{name: "oembed relative url", path: "/oembed?url=%2Ftimelines%2Fcsto", status: http.StatusBadRequest, invalidParam: "url"},
		contractCase{name: "oembed other host", path: "/oembed?url=" + url.QueryEscape("http://example.org/timelines/csto"), status: http.StatusNotFound},
		contractCase{name: "oembed not a timeline", path: "/oembed?url=" + url.QueryEscape(pagesHost+"/docs"), status: http.StatusNotFound},
		contractCase{name: "oembed unknown timeline", path: "/oembed?url=" + url.QueryEscape(pagesHost+"/timelines/nope"), status: http.StatusNotFound},
		contractCase{name: "oembed xml", path: "/oembed?format=xml&url=" + explorer, status: http.StatusNotImplemented},
	)
}

// pagesServer serves b's store through a router that, as main's does,
// also has the README.
func pagesServer(t *testing.T, b *backend, readme []byte) *httptest.Server {
	t.Helper()
	spec, err := os.ReadFile(contractSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	router, err := api.New(b.store, api.Config{Spec: spec, CursorKey: []byte("test-key"), Readme: readme})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return srv
}

// pagesCSP parses a Content-Security-Policy into its directives.
func pagesCSP(header string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(header, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

func pagesParse(t *testing.T, body []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

// pagesFind returns the elements with the tag whose attribute key has
// the value ("" for any element with the tag).
func pagesFind(n *html.Node, tag, key, value string) []*html.Node {
	return timelinejsBrowserWalk(n, func(n *html.Node) bool {
		return n.Data == tag && (key == "" || timelinejsBrowserAttr(n, key) == value)
	})
}

// TestPagesAreHTML checks every page route: HTML, the pages' CSP (scripts
// from this origin only, no inline script, no eval), framing denied but
// for the embed page, an ETag that answers 304, and linked assets that are
// fingerprinted and cached for a year. The API keeps its own policy.
func TestPagesAreHTML(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, path := range []string{"/", "/timelines/csto", "/timelines/csto?year=2019", "/events/csto-2002-activation",
			"/embed/timelines/csto", "/docs"} {
			r := b.get(t, path)
			r.wantStatus(t, http.StatusOK)
			if got := r.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("GET %s: got Content-Type %q, want text/html", path, got)
			}
			csp := pagesCSP(r.header.Get("Content-Security-Policy"))
			if got := csp["script-src"]; !slices.Equal(got, []string{"'self'"}) {
				t.Errorf("GET %s: got script-src %q, want only 'self'", path, got)
			}
			if got := csp["style-src"]; !slices.Equal(got, []string{"'self'"}) {
				t.Errorf("GET %s: got style-src %q, want only 'self'", path, got)
			}
			if h := r.header.Get("Content-Security-Policy"); strings.Contains(h, "unsafe-") {
				t.Errorf("GET %s: got CSP %q, want no unsafe-inline or unsafe-eval", path, h)
			}
			if got := csp["default-src"]; !slices.Equal(got, []string{"'none'"}) {
				t.Errorf("GET %s: got default-src %q, want 'none'", path, got)
			}
			embed := strings.HasPrefix(path, "/embed/")
			switch {
			case embed && !slices.Equal(csp["frame-ancestors"], []string{"*"}):
				t.Errorf("GET %s: got frame-ancestors %q, want *", path, csp["frame-ancestors"])
			case embed && r.header.Get("X-Frame-Options") != "":
				t.Errorf("GET %s: got X-Frame-Options %q, want none on the embed page", path, r.header.Get("X-Frame-Options"))
			case !embed && !slices.Equal(csp["frame-ancestors"], []string{"'none'"}):
				t.Errorf("GET %s: got frame-ancestors %q, want 'none'", path, csp["frame-ancestors"])
			case !embed && r.header.Get("X-Frame-Options") != "DENY":
				t.Errorf("GET %s: got X-Frame-Options %q, want DENY", path, r.header.Get("X-Frame-Options"))
			}
			etag := r.header.Get("ETag")
			if etag == "" || r.header.Get("Cache-Control") == "" {
				t.Errorf("GET %s: got ETag %q and Cache-Control %q, want both", path, etag, r.header.Get("Cache-Control"))
			} else if again := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}}); again.status != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: got status %d, want 304", path, again.status)
			}
			doc := pagesParse(t, r.body)
			for _, s := range pagesFind(doc, "script", "", "") {
				src := timelinejsBrowserAttr(s, "src")
				typ := timelinejsBrowserAttr(s, "type")
				if src == "" && typ != "application/ld+json" {
					t.Errorf("GET %s: got an inline script, which the CSP would block", path)
				}
				if src != "" {
					pagesCheckAsset(t, b, path, src)
					// The page renders without waiting for a script.
					if !pagesHasAttr(s, "defer") && !pagesHasAttr(s, "async") {
						t.Errorf("GET %s: script %s blocks rendering, want defer", path, src)
					}
				}
			}
			// The icon is linked, so that a browser does not ask for
			// /favicon.ico (a 404 in its console).
			if icons := pagesFind(doc, "link", "rel", "icon"); len(icons) != 1 {
				t.Errorf("GET %s: got %d icon links, want 1", path, len(icons))
			} else {
				pagesCheckAsset(t, b, path, timelinejsBrowserAttr(icons[0], "href"))
			}
			for _, l := range pagesFind(doc, "link", "rel", "stylesheet") {
				pagesCheckAsset(t, b, path, timelinejsBrowserAttr(l, "href"))
			}
			for _, n := range timelinejsBrowserWalk(doc, func(*html.Node) bool { return true }) {
				if timelinejsBrowserAttr(n, "style") != "" {
					t.Errorf("GET %s: got a style attribute on <%s>, which the CSP would block", path, n.Data)
				}
			}
		}
		api := b.get(t, "/v1/timelines")
		if got, want := api.header.Get("Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'"; got != want {
			t.Errorf("GET /v1/timelines: got CSP %q, want %q", got, want)
		}
		if r := b.get(t, "/static/000000000000/site.css"); r.status != http.StatusNotFound {
			t.Errorf("GET an asset under a stale fingerprint: got %d, want 404", r.status)
		}
	})
}

// pagesHasAttr reports whether n has the attribute, with or without a value.
func pagesHasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// pagesCheckAsset checks that an asset a page links to is served from
// this origin under a fingerprint, with a long Cache-Control.
func pagesCheckAsset(t *testing.T, b *backend, page, src string) {
	t.Helper()
	if !regexp.MustCompile(`^/static/[0-9a-f]{12}/`).MatchString(src) {
		t.Errorf("GET %s: links %q, want a fingerprinted /static/ path", page, src)
		return
	}
	r := b.get(t, src)
	if r.status != http.StatusOK {
		t.Errorf("GET %s (from %s): got status %d, want 200", src, page, r.status)
	}
	if got := r.header.Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") || !strings.Contains(got, "immutable") {
		t.Errorf("GET %s: got Cache-Control %q, want a year, immutable", src, got)
	}
}

// pagesEventIDs lists the ids of the events a timeline page shows.
func pagesEventIDs(doc *html.Node) []string {
	var out []string
	for _, ol := range pagesFind(doc, "ol", "class", "events") {
		for _, li := range pagesFind(ol, "li", "class", "event") {
			out = append(out, timelinejsBrowserAttr(li, "id"))
		}
	}
	return out
}

// pagesHref is the href of the first <a> with the id, or "".
func pagesHref(doc *html.Node, id string) string {
	if as := pagesFind(doc, "a", "id", id); len(as) > 0 {
		return timelinejsBrowserAttr(as[0], "href")
	}
	return ""
}

// TestPagesExplorerMatchesAPI checks that what the timeline page shows for
// a filter is what the API answers for it: the events of each page (and
// its next-page cursor works in the API too), the year histogram
// (/v1/years without the year), the chips' counts (/v1/facets), the
// download links and the API URL it displays.
func TestPagesExplorerMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, filter := range []string{"", "year=2020", "type=statement", "from=2020-05&to=2020-05&match=within",
			"q=peacekeeping", "actor=ODKB&year=2019,2020"} {
			t.Run(filter, func(t *testing.T) {
				want := b.allEvents(t, "timeline=csto&limit=500&"+filter)
				var got []string
				path := "/timelines/csto?" + filter
				var first *html.Node
				for page := 0; path != "" && page < 10; page++ {
					r := b.get(t, path)
					r.wantStatus(t, http.StatusOK)
					doc := pagesParse(t, r.body)
					if first == nil {
						first = doc
					}
					shown := pagesEventIDs(doc)
					got = append(got, shown...)
					// The API URL the page shows gives the same events.
					input := pagesFind(doc, "input", "id", "api-url")
					if len(input) != 1 {
						t.Fatalf("GET %s: got %d API URL inputs, want 1", path, len(input))
					}
					u, err := url.Parse(timelinejsBrowserAttr(input[0], "value"))
					if err != nil {
						t.Fatalf("GET %s: API URL: %v", path, err)
					}
					if diff := cmp.Diff(shown, ids(b.events(t, u.RawQuery).Data)); diff != "" {
						t.Errorf("GET %s: events shown vs the API URL it displays (-page +api):\n%s", path, diff)
					}
					next := pagesHref(doc, "next-page")
					path = next
				}
				if diff := cmp.Diff(ids(want), got); diff != "" {
					t.Errorf("events of every page vs /v1/events (-api +pages):\n%s", diff)
				}
				if len(want) > 25 && len(got) == len(want) {
					t.Logf("%d events over %d pages", len(got), (len(got)+24)/25)
				}
				// The histogram is /v1/years for the same filter without the year.
				q, _ := url.ParseQuery(filter)
				q.Del("year")
				q.Set("timeline", "csto")
				var years struct {
					Data []struct{ Year, Count int } `json:"data"`
				}
				yr := b.get(t, "/v1/years?"+q.Encode())
				yr.wantStatus(t, http.StatusOK)
				yr.decode(t, &years)
				var bars []string
				for _, a := range pagesFind(first, "a", "", "") {
					if y := timelinejsBrowserAttr(a, "data-year"); y != "" {
						bars = append(bars, y+":"+timelinejsBrowserFirstText(a, "count"))
					}
				}
				var wantBars []string
				for _, y := range years.Data {
					wantBars = append(wantBars, strconv.Itoa(y.Year)+":"+strconv.Itoa(y.Count)+" events in")
				}
				if diff := cmp.Diff(wantBars, bars); diff != "" {
					t.Errorf("histogram vs /v1/years (-api +page):\n%s", diff)
				}
				// The chips are /v1/facets: each value's label (a status
				// in words, an actor's or a place's name) and count, and
				// a link that filters by the value.
				facets := b.facets(t, "timeline=csto&"+filter)
				for _, dim := range []string{"type", "status", "actor", "place", "tag"} {
					var wantChips, gotChips []string
					for _, v := range facets.Data[dim] {
						label := v.Value
						switch {
						case dim == "status":
							label = strings.ReplaceAll(v.Value, "_", " ")
						case v.Name != "":
							label = v.Name
						}
						wantChips = append(wantChips, label+" "+strconv.Itoa(v.Count)+" "+v.Value)
					}
					for _, sec := range pagesFind(first, "section", "data-param", dim) {
						for _, a := range pagesFind(sec, "a", "", "") {
							href, err := url.Parse(timelinejsBrowserAttr(a, "href"))
							if err != nil {
								t.Fatalf("%s chip href: %v", dim, err)
							}
							// The link adds the value to the filter, or,
							// when it is chosen already (by its id, a
							// name or an alias), removes what chose it.
							value := timelinejsBrowserAttr(a, "data-value")
							before, _ := url.ParseQuery(filter)
							was := slices.DeleteFunc(strings.Split(before.Get(dim), ","), func(v string) bool { return v == "" })
							after := slices.DeleteFunc(strings.Split(href.Query().Get(dim), ","), func(v string) bool { return v == "" })
							if timelinejsBrowserAttr(a, "class") == "selected" {
								if len(after) >= len(was) || slices.ContainsFunc(after, func(v string) bool { return !slices.Contains(was, v) }) {
									t.Errorf("%s chip %s is selected but its link %s does not drop a value of %v", dim, value, href, was)
								}
							} else if want := append(slices.Clone(was), value); !slices.Equal(after, want) {
								t.Errorf("%s chip %s links to %s, want %s=%s", dim, value, href, dim, strings.Join(want, ","))
							}
							gotChips = append(gotChips, timelinejsBrowserText(a)+" "+value)
						}
					}
					if diff := cmp.Diff(wantChips, gotChips); diff != "" {
						t.Errorf("%s chips (label count value) vs /v1/facets (-api +page):\n%s", dim, diff)
					}
				}
				// The CSV link downloads the same events.
				csvPath := pagesHref(first, "download-csv")
				_, rows := b.csvRows(t, csvPath, nil)
				var csvIDs []string
				for _, row := range rows {
					csvIDs = append(csvIDs, row["id"])
				}
				if diff := cmp.Diff(ids(want), csvIDs); diff != "" {
					t.Errorf("CSV %s vs /v1/events (-api +csv):\n%s", csvPath, diff)
				}
			})
		}
	})
}

// TestPagesMay2020 is the journalist's question, "everything that
// certainly happened in May 2020", asked of the explorer: the page says
// what the filter keeps in words, and lists exactly the API's events.
func TestPagesMay2020(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/timelines/csto?from=2020-05&to=2020-05&match=within")
		r.wantStatus(t, http.StatusOK)
		doc := pagesParse(t, r.body)
		explain := pagesFind(doc, "p", "id", "explain")
		if len(explain) != 1 || !strings.Contains(timelinejsBrowserText(explain[0]), "certainly happened within 2020-05") {
			t.Errorf("got no explanation that says \"certainly happened within 2020-05\"")
		}
		// The same period with "may overlap" says so, and keeps more.
		o := b.get(t, "/timelines/csto?from=2020-05&to=2020-05")
		o.wantStatus(t, http.StatusOK)
		oDoc := pagesParse(t, o.body)
		if e := pagesFind(oDoc, "p", "id", "explain"); len(e) != 1 || !strings.Contains(timelinejsBrowserText(e[0]), "may overlap 2020-05") {
			t.Errorf("got no explanation that says \"may overlap 2020-05\"")
		}
		within := ids(b.allEvents(t, "timeline=csto&from=2020-05&to=2020-05&match=within"))
		overlapping := ids(b.allEvents(t, "timeline=csto&from=2020-05&to=2020-05"))
		if len(within) == 0 || len(within) >= len(overlapping) {
			t.Fatalf("got %d events within May 2020 and %d overlapping it, want some, and fewer within", len(within), len(overlapping))
		}
		if diff := cmp.Diff(within, pagesEventIDs(doc)); diff != "" {
			t.Errorf("events (-api +page):\n%s", diff)
		}
		if diff := cmp.Diff(overlapping, pagesEventIDs(oDoc)); diff != "" {
			t.Errorf("events that may overlap May 2020 (-api +page):\n%s", diff)
		}
		// Each event shows its quote verbatim.
		e := b.get(t, "/v1/events/"+within[0])
		var ev eventDoc
		e.decode(t, &ev)
		if !strings.Contains(timelinejsBrowserText(doc), timelinejsBrowserSpace(ev.Sources[0].Quote)) {
			t.Errorf("the page does not show the quote of %s: %q", ev.ID, ev.Sources[0].Quote)
		}
	})
}

// pagesFormFields are the parameters the explorer's form has a field for.
var pagesFormFields = []string{"q", "year", "from", "to", "match", "type", "status", "actor", "place", "tag", "limit"}

// TestPagesInvalidFilter checks that a filter the API rejects is a 400
// page stating the API's own problem detail, with the form kept as typed,
// and that empty form fields are dropped from the address by a redirect.
func TestPagesInvalidFilter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		// The last two are refused before any handler runs (a malformed
		// escape, a ';' separator): a page still answers them in words.
		for _, filter := range []string{"year=19", "from=2020-13", "from=2020&to=2019", "type=party", "yaer=2019", "cursor=garbage",
			"match=maybe", "status=done", "limit=1000", "q=" + strings.Repeat("a", 201), "year=%zz", "q=a;b"} {
			r := b.get(t, "/timelines/csto?"+filter)
			if r.status != http.StatusBadRequest {
				t.Errorf("GET /timelines/csto?%s: got status %d, want 400", filter, r.status)
				continue
			}
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("GET /timelines/csto?%s: got Content-Type %q, want HTML", filter, got)
			}
			api := b.get(t, "/v1/events?timeline=csto&"+filter)
			var p problemDoc
			api.decode(t, &p)
			doc := pagesParse(t, r.body)
			text := timelinejsBrowserText(doc)
			for _, ip := range p.InvalidParams {
				if !strings.Contains(text, timelinejsBrowserSpace(ip.Reason)) {
					t.Errorf("GET /timelines/csto?%s: the page does not say %q", filter, ip.Reason)
				}
				// A filter of the form is described by its error, which a
				// screen reader reads with the field.
				// (A query refused before the page's handler runs gets
				// the error page, without the form.)
				if !slices.Contains(pagesFormFields, ip.Name) || len(pagesFind(doc, "form", "", "")) == 0 {
					continue
				}
				errs := pagesFind(doc, "p", "id", ip.Name+"-error")
				if len(errs) != 1 || timelinejsBrowserText(errs[0]) != timelinejsBrowserSpace(ip.Reason) {
					t.Errorf("GET /timelines/csto?%s: got no #%s-error saying %q", filter, ip.Name, ip.Reason)
				}
				described := timelinejsBrowserWalk(doc, func(n *html.Node) bool {
					return slices.Contains(strings.Fields(timelinejsBrowserAttr(n, "aria-describedby")), ip.Name+"-error")
				})
				if len(described) != 1 {
					t.Errorf("GET /timelines/csto?%s: got %d fields described by #%s-error, want 1", filter, len(described), ip.Name)
				}
			}
		}
		// Every page route, the embed page (framable) included, answers
		// a query refused by the middleware, and one too long, as a page
		// under its own policy; the API keeps its JSON.
		long := "q=" + strings.Repeat("a", 9000)
		for _, path := range []string{"/?x=%zz", "/timelines/csto?year=%zz", "/events/csto-2002-activation?" + long,
			"/embed/timelines/csto?q=a;b", "/docs?" + long} {
			r := b.get(t, path)
			ct := r.header.Get("Content-Type")
			if r.status != http.StatusBadRequest && r.status != http.StatusRequestURITooLong || !strings.HasPrefix(ct, "text/html") {
				t.Errorf("GET %.60s: got %d %q, want a 400 or 414 page", path, r.status, ct)
				continue
			}
			var p problemDoc
			api := b.get(t, "/v1/events?"+strings.SplitN(path, "?", 2)[1])
			api.decode(t, &p)
			if api.status != r.status || !strings.Contains(timelinejsBrowserText(pagesParse(t, r.body)), timelinejsBrowserSpace(p.Detail)) {
				t.Errorf("GET %.60s: the page does not say the API's %d %q", path, api.status, p.Detail)
			}
			csp := pagesCSP(r.header.Get("Content-Security-Policy"))
			embed := strings.HasPrefix(path, "/embed/")
			if !slices.Equal(csp["style-src"], []string{"'self'"}) || embed != slices.Equal(csp["frame-ancestors"], []string{"*"}) ||
				embed != (r.header.Get("X-Frame-Options") == "") {
				t.Errorf("GET %.60s: got CSP %q and X-Frame-Options %q, want the page's", path,
					r.header.Get("Content-Security-Policy"), r.header.Get("X-Frame-Options"))
			}
		}
		if r := b.get(t, "/v1/events?year=%zz"); !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET /v1/events?year=%%zz: got %q, want a problem document", r.header.Get("Content-Type"))
		}
		client := *b.server.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := client.Get(b.server.URL + "/timelines/csto?q=&year=2019&from=&type=statement")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got, want := res.Header.Get("Location"), "/timelines/csto?type=statement&year=2019"; res.StatusCode != http.StatusFound || got != want {
			t.Errorf("GET with empty fields: got %d to %q, want 302 to %q", res.StatusCode, got, want)
		}
		if r := b.get(t, "/timelines/nope"); r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /timelines/nope: got %d %q, want a 404 page", r.status, r.header.Get("Content-Type"))
		}
		if r := b.get(t, "/events/nope"); r.status != http.StatusNotFound {
			t.Errorf("GET /events/nope: got %d, want 404", r.status)
		}
	})
}

// TestPagesEventPage checks the event page against the API's event: every
// quote, actor and place, the schema.org Event JSON-LD with dates at the
// event's precision, and the Open Graph tags.
func TestPagesEventPage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		events := b.allEvents(t, "timeline=csto&limit=500")
		// One event of each date precision and of each status.
		precisions, statuses := map[string]bool{}, map[string]bool{}
		for _, e := range events {
			if precisions[e.DatePrecision] && statuses[e.Status] {
				continue
			}
			precisions[e.DatePrecision], statuses[e.Status] = true, true
			r := b.get(t, "/events/"+e.ID)
			r.wantStatus(t, http.StatusOK)
			doc := pagesParse(t, r.body)
			text := timelinejsBrowserText(doc)
			for _, want := range []string{e.Title, e.DisplayDate, e.EDTF} {
				if !strings.Contains(text, timelinejsBrowserSpace(want)) {
					t.Errorf("/events/%s does not show %q", e.ID, want)
				}
			}
			// Its status in words, a link to the events of that status.
			status := pagesFind(doc, "a", "href", "/timelines/csto?status="+e.Status)
			if want := strings.ReplaceAll(e.Status, "_", " "); len(status) != 1 || timelinejsBrowserText(status[0]) != want {
				t.Errorf("/events/%s: got %d links to its status, want one that reads %q", e.ID, len(status), want)
			}
			for _, s := range e.Sources {
				if !strings.Contains(text, timelinejsBrowserSpace(s.Quote)) || !strings.Contains(text, s.Title) {
					t.Errorf("/events/%s does not show the quote and title of source %s", e.ID, s.SourceID)
				}
			}
			for _, a := range e.Actors {
				if !strings.Contains(text, a.Name) {
					t.Errorf("/events/%s does not show actor %q", e.ID, a.Name)
				}
			}
			// The seed wrote the event through the write path: its
			// history starts with the seed's creation.
			for _, want := range []string{"Revision history", "key seed: revision 1, create", "/v1/events/" + e.ID + "/revisions"} {
				if !strings.Contains(text, want) {
					t.Errorf("/events/%s does not show %q", e.ID, want)
				}
			}
			scripts := pagesFind(doc, "script", "type", "application/ld+json")
			if len(scripts) != 1 {
				t.Fatalf("/events/%s: got %d JSON-LD scripts, want 1", e.ID, len(scripts))
			}
			var ld struct {
				Context   string `json:"@context"`
				Type      string `json:"@type"`
				Name      string `json:"name"`
				StartDate string `json:"startDate"`
				EndDate   string `json:"endDate"`
				Location  any    `json:"location"`
			}
			if err := json.Unmarshal([]byte(scripts[0].FirstChild.Data), &ld); err != nil {
				t.Fatalf("/events/%s: JSON-LD: %v\n%s", e.ID, err, scripts[0].FirstChild.Data)
			}
			start, end := e.StartDate, e.EndDate
			switch e.DatePrecision {
			case "year":
				start, end = start[:4], end[:4]
			case "month":
				start, end = start[:7], end[:7]
			}
			if ld.Context != "https://schema.org" || ld.Type != "Event" || ld.Name != e.Title || ld.StartDate != start || ld.EndDate != end {
				t.Errorf("/events/%s (%s precision): got JSON-LD %+v, want an Event named %q from %s to %s",
					e.ID, e.DatePrecision, ld, e.Title, start, end)
			}
			if len(e.Places) > 0 && ld.Location == nil {
				t.Errorf("/events/%s: got no JSON-LD location, want its places", e.ID)
			}
			og := map[string]string{}
			for _, m := range pagesFind(doc, "meta", "", "") {
				if p := timelinejsBrowserAttr(m, "property"); strings.HasPrefix(p, "og:") {
					og[p] = timelinejsBrowserAttr(m, "content")
				}
			}
			if og["og:title"] != e.Title || !strings.HasSuffix(og["og:url"], "/events/"+e.ID) || og["og:description"] == "" {
				t.Errorf("/events/%s: got Open Graph %v, want its title, URL and a description", e.ID, og)
			}
		}
		if len(precisions) < 2 || len(statuses) < 4 {
			t.Errorf("checked %d date precisions and %d statuses, want several and every status", len(precisions), len(statuses))
		}
	})
}
