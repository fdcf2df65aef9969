package tests

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/tests/skipreport"
)

// The pages in a real browser: headless Chromium (Debian's chromium,
// which .ci/run installs) driven over the DevTools protocol with chromedp,
// against the real router, and axe-core (the npm package pinned in
// testdata/axe, which .ci/run installs with npm ci) for accessibility.
const pagesAxeScript = "testdata/axe/node_modules/axe-core/axe.min.js"

// pagesBrowserRequire finds Chromium and axe-core, skipping when either is
// missing and failing under CI=true.
func pagesBrowserRequire(t *testing.T) (chromium string, axe []byte) {
	t.Helper()
	chromium, _ = timelinejsBrowserRequire(t)
	axe, err := os.ReadFile(pagesAxeScript)
	if err != nil {
		skipreport.Missing(t, "axe-core from npm (npm ci --prefix tests/testdata/axe): %v", err)
	}
	return chromium, axe
}

// pagesArtifacts is where the screenshots go: PAGES_ARTIFACTS when set (a
// gitignored directory, for CI to keep), else the test's temporary dir.
func pagesArtifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PAGES_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pagesBrowser records what the browser did that a page should not make
// it do: requests to other origins, script errors, console errors (a CSP
// violation is one).
type pagesBrowser struct {
	mu       sync.Mutex
	foreign  []string
	problems []string
}

func (p *pagesBrowser) note(list *[]string, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*list = append(*list, s)
}

func (p *pagesBrowser) take() (foreign, problems []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	foreign, problems = p.foreign, p.problems
	p.foreign, p.problems = nil, nil
	return foreign, problems
}

// TestPagesBrowser walks the explorer as a person would, in headless
// Chromium: home, a timeline, a year in the histogram, a type chip, a
// search with a page size, the next page, back and forward, the CSV
// download of that filter (whose rows must equal the API's), an event;
// the May 2020 question typed into the form with JavaScript off; the embed page
// (TimelineJS must render one slide per event), /docs, and /oembed
// through the page's discovery link. It checks that no page asks for
// anything from another origin or breaks its CSP, that nothing scrolls
// sideways at 375 px, and that axe-core finds no serious or critical
// violation. Screenshots at 1440 and 375 px are kept as artifacts.
func TestPagesBrowser(t *testing.T) {
	chromium, axe := pagesBrowserRequire(t)
	b := shared[0]
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(contractSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	router, err := api.New(b.store, api.Config{Spec: spec, CursorKey: []byte("test-key"), Readme: readme})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := api.Compress(router)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	artifacts := pagesArtifacts(t)
	t.Logf("backend %s, %s, artifacts in %s", b.name, chromium, artifacts)

	var chromiumOutput pagesLockedBuffer
	defer func() {
		if t.Failed() {
			t.Logf("Chromium said:\n%s", chromiumOutput.String())
		}
	}()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("hide-scrollbars", true),
		// Back and forward load the page again rather than restore it
		// from the back-forward cache, whose restores chromedp's
		// navigation actions do not see.
		chromedp.Flag("disable-features", "BackForwardCache"),
		// Every host but the test server fails to resolve: the pages
		// must work offline.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000), chromedp.CombinedOutput(&chromiumOutput))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()

	// Start the browser before the listeners subscribe, so that they
	// share it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	watch := &pagesBrowser{}
	origin := srv.URL
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			if u := ev.Request.URL; !strings.HasPrefix(u, origin+"/") && !strings.HasPrefix(u, "data:") {
				watch.note(&watch.foreign, u)
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, log.EntryAdded) {
			if err != nil {
				return
			}
			if e := ev.Entry; e.Level == log.EntryLevelError {
				watch.note(&watch.problems, fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, e.URL))
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			watch.note(&watch.problems, "uncaught: "+ev.ExceptionDetails.Text+" "+pagesExceptionText(ev.ExceptionDetails))
		}
	}()
	clean := func(step string) {
		t.Helper()
		// Let late console messages of the page arrive.
		time.Sleep(200 * time.Millisecond)
		foreign, problems := watch.take()
		for _, u := range foreign {
			t.Errorf("%s: the page asked another origin for %s", step, u)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", step, p)
		}
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	location := func() *url.URL {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	shownIDs := func() []string {
		t.Helper()
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('ol.events > li.event')).map(li => li.id)`))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// click follows a link or submits, and waits for the next page to
	// have sel.
	click := func(step, target, sel string) {
		t.Helper()
		do(step, chromedp.Click(chromedp.CSS(target)), chromedp.WaitVisible(chromedp.CSS(sel)))
		clean(step)
	}

	// Home, then the timeline.
	do("home", chromedp.Navigate(origin+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/timelines/csto"]`)))
	clean("home")
	pagesAxe(t, ctx, axe, "home")
	click("open the timeline", `.timelines a[href="/timelines/csto"]`, "#results-h")
	if got := location().Path; got != "/timelines/csto" {
		t.Fatalf("got %s, want the timeline page", got)
	}
	pagesShot(t, ctx, artifacts, "explorer-1440.png")
	pagesAxe(t, ctx, axe, "explorer")

	// A year in the histogram, a type chip, a search with 5 a page.
	click("choose 2020 in the histogram", `a.bar[data-year="2020"]`, `a.bar.selected[data-year="2020"]`)
	click("add the statement chip", `section[data-param="type"] a[href*="type=statement"]`, `section[data-param="type"] a.selected`)
	do("search", chromedp.SendKeys(chromedp.CSS("#q"), "security"),
		chromedp.SetValue(chromedp.CSS("#limit"), "5"),
		chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#next-page`)))
	clean("search")
	u := location()
	firstPage := u.String()
	want := url.Values{"year": {"2020"}, "type": {"statement"}, "q": {"security"}, "limit": {"5"}, "match": {"overlaps"}}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("the address after searching holds the filters (-want +got):\n%s", diff)
	}
	filter := "timeline=csto&year=2020&type=statement&q=security&match=overlaps"
	all := ids(b.allEvents(t, filter+"&limit=500"))
	if len(all) <= 5 {
		t.Fatalf("got %d events for %s, want more than a page of 5", len(all), filter)
	}
	if diff := cmp.Diff(all[:5], shownIDs()); diff != "" {
		t.Errorf("first page (-api +page):\n%s", diff)
	}
	click("next page", "#next-page", `a[href$="limit=5&match=overlaps&q=security&type=statement&year=2020"]`)
	if diff := cmp.Diff(all[5:min(10, len(all))], shownIDs()); diff != "" {
		t.Errorf("second page (-api +page):\n%s", diff)
	}
	if !location().Query().Has("cursor") {
		t.Errorf("the second page's address has no cursor: %s", location())
	}
	// The URL is the state: the back button returns to the first page,
	// and forward to the second.
	second := location().String()
	do("back", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS("#results-h")))
	if got := location().String(); got != firstPage {
		t.Errorf("back: got %s, want %s", got, firstPage)
	}
	if diff := cmp.Diff(all[:5], shownIDs()); diff != "" {
		t.Errorf("back to the first page (-api +page):\n%s", diff)
	}
	do("forward", chromedp.NavigateForward(), chromedp.WaitVisible(chromedp.CSS("#results-h")))
	if got := location().String(); got != second {
		t.Errorf("forward: got %s, want %s", got, second)
	}
	if diff := cmp.Diff(all[5:min(10, len(all))], shownIDs()); diff != "" {
		t.Errorf("forward to the second page (-api +page):\n%s", diff)
	}
	clean("back and forward")

	// The CSV of the current filter, downloaded by the browser.
	downloads := t.TempDir()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	do("download the CSV", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptrTo(true)})
		return err
	}), chromedp.Click(chromedp.CSS("#download-csv")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("the CSV download was cancelled")
		}
	}
	clean("download the CSV")
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("downloaded CSV: %v", err)
	}
	downloaded := pagesReadCSV(t, string(body))
	_, apiRows := b.csvRows(t, "/v1/events.csv?"+filter, nil)
	if diff := cmp.Diff(apiRows, downloaded); diff != "" {
		t.Errorf("downloaded CSV vs /v1/events.csv (-api +download):\n%s", diff)
	}

	// An event.
	first := all[5]
	click("open an event", `ol.events > li.event h3 a`, "article.event-page")
	if got := location().Path; got != "/events/"+first {
		t.Errorf("opened %s, want /events/%s", got, first)
	}
	pagesAxe(t, ctx, axe, "event page")
	pagesShot(t, ctx, artifacts, "event-1440.png")

	// oEmbed through the discovery link of an explorer page.
	do("explorer for oEmbed", chromedp.Navigate(origin+"/timelines/csto?from=2020-05&to=2020-05&match=within"),
		chromedp.WaitVisible(chromedp.CSS("#results-h")))
	type oembed struct {
		Type   string `json:"type"`
		HTML   string `json:"html"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	}
	o, err := chromedp.Run(ctx, chromedp.Evaluate[oembed](
		`fetch(document.querySelector('link[type="application/json+oembed"]').href + '&maxwidth=640').then(r => r.json())`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("oEmbed from the discovery link: %v", err)
	}
	if o.Type != "rich" || o.Width != 640 || !strings.Contains(o.HTML, `src="`+origin+`/embed/timelines/csto?from=2020-05&amp;match=within&amp;to=2020-05"`) {
		t.Errorf("got oEmbed %+v, want a rich 640-wide iframe of the same selection", o)
	}
	clean("oEmbed")

	// The embed page: TimelineJS renders one slide per event, and a title.
	events := b.allEvents(t, "timeline=csto&limit=500")
	do("embed page", chromedp.Navigate(origin+"/embed/timelines/csto"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-timelinejs="ready"]`)))
	slides, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.tl-slide')).filter(s => !s.classList.contains('tl-slide-titleslide')).map(s => s.id)`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids(events), slides); diff != "" {
		t.Errorf("TimelineJS slides vs the timeline's events (-api +slides):\n%s", diff)
	}
	clean("embed page")
	pagesShot(t, ctx, artifacts, "embed-1440.png")

	// The docs.
	do("docs", chromedp.Navigate(origin+"/docs"), chromedp.WaitVisible(chromedp.CSS("#listEvents")))
	clean("docs")
	pagesAxe(t, ctx, axe, "docs")

	// Without JavaScript the explorer still filters: "everything that
	// certainly happened in May 2020", typed into the form.
	do("JavaScript off", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}), chromedp.Navigate(origin+"/timelines/csto"), chromedp.WaitVisible(chromedp.CSS("#results-h")))
	do("May 2020 without JavaScript", chromedp.SendKeys(chromedp.CSS("#from"), "2020-05"), chromedp.SendKeys(chromedp.CSS("#to"), "2020-05"),
		chromedp.Click(chromedp.CSS(`input[name="match"][value="within"]`)),
		chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href*="from"]`)))
	clean("May 2020 without JavaScript")
	if got, want := location().Query(), (url.Values{"from": {"2020-05"}, "to": {"2020-05"}, "match": {"within"}, "limit": {"25"}}); !cmp.Equal(want, got) {
		t.Errorf("without JavaScript: got the address %s, want the filters %v", location(), want)
	}
	if diff := cmp.Diff(ids(b.allEvents(t, "timeline=csto&from=2020-05&to=2020-05&match=within")), shownIDs()); diff != "" {
		t.Errorf("without JavaScript (-api +page):\n%s", diff)
	}
	// site.js shows the Copy button; with scripts off it stays hidden.
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('button.copy-button').hidden`)); err != nil || !hidden {
		t.Errorf("without JavaScript: the Copy button is shown (%v), so scripts ran", err)
	}
	do("JavaScript on", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		return err
	}))

	// 375 px: nothing scrolls sideways.
	do("375 px", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2)))
	for _, path := range []string{"/", "/timelines/csto", "/timelines/csto?year=2020&type=statement",
		"/events/" + first, "/docs", "/embed/timelines/csto", "/timelines/csto?year=20x"} {
		sel := "main"
		if strings.HasPrefix(path, "/embed/") {
			sel = `body[data-timelinejs="ready"]`
		}
		do("375 px "+path, chromedp.Navigate(origin+path), chromedp.WaitVisible(chromedp.CSS(sel)))
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](
			`[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]`))
		if err != nil {
			t.Fatal(err)
		}
		if wide[0] > wide[2] || wide[1] > wide[2] {
			t.Errorf("375 px %s: the page is %d (body %d) px wide in a %d px window: it scrolls sideways", path, wide[0], wide[1], wide[2])
		}
		if path == "/timelines/csto" {
			pagesShot(t, ctx, artifacts, "explorer-375.png")
		}
		if path != "/timelines/csto?year=20x" {
			clean("375 px " + path)
		} else {
			watch.take() // the 400 of the invalid filter is logged as a failed load
		}
	}

}

func ptrTo[T any](v T) *T { return &v }

func pagesExceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.URL
}

// pagesReadCSV reads a downloaded CSV as csvRows reads the API's.
func pagesReadCSV(t *testing.T, body string) []map[string]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("downloaded CSV: %v", err)
	}
	if len(records) == 0 {
		t.Fatalf("downloaded CSV is empty")
	}
	var out []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			row[name] = rec[i]
		}
		out = append(out, row)
	}
	return out
}

// pagesShot saves a screenshot of the viewport as an artifact.
func pagesShot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", path, len(png))
}

// pagesAxe runs axe-core on the current page and fails on every violation
// of impact serious or critical; lesser ones are logged.
func pagesAxe(t *testing.T, ctx context.Context, axe []byte, page string) {
	t.Helper()
	type node struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	}
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []node `json:"nodes"`
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](string(axe)+";true")); err != nil {
		t.Fatalf("axe on %s: load axe-core: %v", page, err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](
		`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => ({target: n.target, html: n.html}))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	for _, v := range vs {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s", page, v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			msg += fmt.Sprintf("\n\t%v %s", n.Target, truncate(n.HTML))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	if len(vs) == 0 {
		t.Logf("axe on %s: no violations", page)
	}

}

// pagesLockedBuffer collects Chromium's output from its goroutine.
type pagesLockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *pagesLockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *pagesLockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
