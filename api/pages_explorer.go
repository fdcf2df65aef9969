package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// homePageData lists the timelines.
type homePageData struct {
	pageBase
	Timelines []models.Timeline
}

// homePage answers GET /: every timeline with its description, sources,
// number of events and period.
func (s *server) homePage(c *gin.Context) (string, any, error) {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return "", nil, err
	}
	if done, err := s.notModified(c); done || err != nil {
		return "", nil, err
	}
	ts, err := s.store.ListTimelines(c.Request.Context())
	if err != nil {
		return "", nil, err
	}
	return "home", homePageData{
		pageBase: pageBase{Title: "Timelines", Canonical: baseURL(c) + "/", Nav: "home",
			Description: "Dated, sourced events to explore, download and embed."},
		Timelines: ts,
	}, nil
}

// timelinePageParams are the query parameters of the explorer's timeline
// page: the API's event filters (the timeline is the path's) and its
// paging cursor.
var timelinePageParams = []string{"year", "from", "to", "match", "type", "status", "actor", "place", "tag", "q", "cursor", "limit"}

// perPage are the page sizes the form offers; limit takes any the API
// takes.
var perPage = []int{5, 10, 25, 50, 100}

// timelinePageData is everything the timeline page shows.
type timelinePageData struct {
	pageBase
	Timeline models.Timeline
	Form     filterForm
	// Invalid maps a parameter to why it was rejected, for the form.
	Invalid map[string]string
	// Explain says in words which events the date filter keeps.
	Explain string
	Total   int
	Years   []yearBar
	Groups  []chipGroup
	Active  []chip
	Events  []eventItem
	// Next and First are the links to the next and the first page.
	Next, First string
	// The same selection through the API, and as a timeline.
	APIURL, CSVURL, NDJSONURL, YearsURL, EmbedURL string
	Types, Statuses                               []option
	PerPage                                       []option
	// MoreOpen opens the form's less used filters when one is set.
	MoreOpen bool
}

// filterForm holds the filter values as the form shows them.
type filterForm struct {
	Q, Year, From, To, Match, Actor, Place, Tag string
}

// option is a checkbox of the form.
type option struct {
	Value, Label string
	Checked      bool
}

// yearBar is one bar of the year histogram: a link that filters by the
// year, or, when it is the chosen year, removes that filter.
type yearBar struct {
	Year, Count int
	// Height is the bar's height in twentieths of the tallest bar.
	Height   int
	Selected bool
	Href     string
}

// chipGroup is one facet: its values with their counts, each a link that
// adds the value to the filter or removes it.
type chipGroup struct {
	Name, Param string
	Chips       []chip
}

type chip struct {
	Label string
	// Value is the facet's value (an actor's or place's id), which the
	// page carries as data-value for scripts and tests.
	Value    string
	Count    int
	Selected bool
	Href     string
}

// timelinePage answers GET /timelines/{id}: the explorer of one timeline.
func (s *server) timelinePage(c *gin.Context) (string, any, error) {
	id := c.Param("id")
	p, f, err := timelinePageRequest(c, timelinePageParams)
	if p == nil {
		return "", nil, err
	}
	values := p.values
	f.Limit = pageSize
	if values.Has("limit") {
		f.Limit = p.limit()
	}
	if v, ok := p.single("cursor"); ok && p.errs.Err() == nil {
		key, err := s.cursors.decode(v, f)
		if err != nil {
			p.errs.Add("cursor", "%v", err)
		} else {
			f.After = &key
		}
	}
	// A missing timeline is a 404 whatever the conditional headers say.
	ctx := c.Request.Context()
	t, err := s.findTimeline(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if p.err() == nil {
		if done, err := s.notModified(c); done || err != nil {
			return "", nil, err
		}
	}
	d := timelinePageData{
		pageBase: pageBase{Title: t.Title, Description: t.Description, Nav: "timeline",
			Canonical: baseURL(c) + c.Request.URL.RequestURI()},
		Timeline: t,
		Form: filterForm{Q: values.Get("q"), Year: joined(values, "year"), From: values.Get("from"), To: values.Get("to"),
			Match: values.Get("match"), Actor: joined(values, "actor"), Place: joined(values, "place"), Tag: joined(values, "tag")},
	}
	d.OEmbed = baseURL(c) + "/oembed?" + url.Values{"url": {d.Canonical}, "format": {"json"}}.Encode()
	for _, name := range []string{"type", "status", "actor", "place", "tag"} {
		d.MoreOpen = d.MoreOpen || values.Has(name)
	}
	for _, n := range perPage {
		v := strconv.Itoa(n)
		d.PerPage = append(d.PerPage, option{Value: v, Label: v, Checked: n == f.Limit})
	}
	d.Types = options(models.EventTypes, listValues(values, "type"), func(v string) string { return v })
	d.Statuses = options(models.EventStatuses, listValues(values, "status"), statusLabel)
	if err := p.err(); err != nil {
		// The page still answers, with the form as typed and the
		// problem in words: the same detail the API gives.
		d.Problem = problemFor(err)
		d.Invalid = map[string]string{}
		for _, ip := range d.Problem.InvalidParams {
			d.Invalid[ip.Name] = ip.Reason
		}
		c.Header("Cache-Control", "no-store")
		s.render(c, http.StatusBadRequest, "timeline", d)
		return "", nil, nil
	}

	events, more, err := s.store.FindEvents(ctx, f)
	if err != nil {
		return "", nil, err
	}
	yf := f
	yf.Years, yf.After = nil, nil
	years, _, err := s.store.CountEventsByYear(ctx, yf)
	if err != nil {
		return "", nil, err
	}
	facets, err := s.store.CountFacets(ctx, f)
	if err != nil {
		return "", nil, err
	}

	path := c.Request.URL.Path
	d.Total = facets.Events
	d.Explain = explainMatch(f, values)
	d.Years = yearBars(years, f.Years, values, path)
	named := map[string]map[string][]string{}
	for _, param := range []string{"actor", "place"} {
		if chosen := listValues(values, param); len(chosen) > 0 {
			if named[param], err = s.store.NamedIDs(ctx, param, chosen); err != nil {
				return "", nil, err
			}
		}
	}
	d.Groups = chipGroups(facets, values, named, path)
	d.Active = activeChips(values, path)
	for _, e := range events {
		d.Events = append(d.Events, newEventItem(e))
	}
	if more {
		next := cloneValues(values)
		next.Set("cursor", s.cursors.encode(f, events[len(events)-1].Key()))
		d.Next = path + canonicalQuery(next)
	}
	if values.Has("cursor") {
		first := cloneValues(values)
		first.Del("cursor")
		d.First = path + canonicalQuery(first)
	}
	// Exports, counts and the embed take the filter without paging.
	api := cloneValues(values)
	api.Set("timeline", id)
	api.Del("cursor")
	api.Del("limit")
	base := baseURL(c)
	d.CSVURL = "/v1/events.csv" + canonicalQuery(api)
	d.NDJSONURL = "/v1/events.ndjson" + canonicalQuery(api)
	d.YearsURL = base + "/v1/years" + canonicalQuery(api)
	embed := cloneValues(values)
	embed.Del("cursor")
	embed.Del("limit")
	d.EmbedURL = "/embed/timelines/" + id + canonicalQuery(embed)
	api.Set("limit", strconv.Itoa(f.Limit))
	if v := values.Get("cursor"); v != "" {
		api.Set("cursor", v)
	}
	d.APIURL = base + "/v1/events" + canonicalQuery(api)
	return "timeline", d, nil
}

// statusLabel is a status as the pages write it: "not implemented" for
// not_implemented. It is derived from the value, not looked up, so that a
// status added to models.EventStatuses can never show as an empty label.
func statusLabel(status string) string { return strings.ReplaceAll(status, "_", " ") }

// listValues is a list parameter's values, repeats and commas alike.
func listValues(values url.Values, name string) []string {
	var out []string
	for _, v := range values[name] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" && !slices.Contains(out, item) {
				out = append(out, item)
			}
		}
	}
	return out
}

func joined(values url.Values, name string) string {
	return strings.Join(listValues(values, name), ", ")
}

func options(vocabulary, checked []string, label func(string) string) []option {
	out := make([]option, len(vocabulary))
	for i, v := range vocabulary {
		out[i] = option{Value: v, Label: label(v), Checked: slices.Contains(checked, v)}
	}
	return out
}

// toggled is the page's URL with value added to the list parameter name,
// or removed when it is there, back on the first page.
func toggled(values url.Values, path, name, value string) string {
	list := listValues(values, name)
	if i := slices.Index(list, value); i >= 0 {
		list = slices.Delete(list, i, i+1)
	} else {
		list = append(list, value)
	}
	return withList(values, path, name, list)
}

// dropped is the page's link with the values drop removed from the list
// parameter name.
func dropped(values url.Values, path, name string, drop []string) string {
	list := slices.DeleteFunc(listValues(values, name), func(v string) bool { return slices.Contains(drop, v) })
	return withList(values, path, name, list)
}

// withList is the page's first page with the list parameter name set to
// list (dropped when list is empty).
func withList(values url.Values, path, name string, list []string) string {
	out := cloneValues(values)
	out.Del("cursor")
	out.Del(name)
	if len(list) > 0 {
		out.Set(name, strings.Join(list, ","))
	}
	return path + canonicalQuery(out)
}

// yearBars draws the histogram: the counts of the current filter without
// its year, so that any year can be chosen and the chosen one compared.
func yearBars(counts []models.YearCount, chosen []int, values url.Values, path string) []yearBar {
	most := 0
	for _, y := range counts {
		most = max(most, y.Count)
	}
	out := make([]yearBar, len(counts))
	for i, y := range counts {
		next := cloneValues(values)
		next.Del("cursor")
		selected := slices.Contains(chosen, y.Year)
		if selected && len(chosen) == 1 {
			next.Del("year")
		} else {
			next.Set("year", strconv.Itoa(y.Year))
		}
		h := 0
		if most > 0 {
			h = max(1, (y.Count*20+most-1)/most)
		}
		out[i] = yearBar{Year: y.Year, Count: y.Count, Height: h, Selected: selected, Href: path + canonicalQuery(next)}
	}
	return out
}

// chipGroups draws the facets. named holds, for the actor and place
// filters, the ids each chosen value answers to: a value chosen by a name
// or an alias (actor=CSTO) selects its actor's chip (csto), and that chip
// drops it.
func chipGroups(f models.Facets, values url.Values, named map[string]map[string][]string, path string) []chipGroup {
	group := func(name, param string, counts []models.FacetCount, label func(models.FacetCount) string) chipGroup {
		g := chipGroup{Name: name, Param: param}
		chosen := listValues(values, param)
		for _, fc := range counts {
			var by []string // the chosen values that select this chip
			for _, v := range chosen {
				if v == fc.Value || slices.Contains(named[param][v], fc.Value) {
					by = append(by, v)
				}
			}
			href := toggled(values, path, param, fc.Value)
			if len(by) > 0 {
				href = dropped(values, path, param, by)
			}
			g.Chips = append(g.Chips, chip{Label: label(fc), Value: fc.Value, Count: fc.Count, Selected: len(by) > 0, Href: href})
		}
		return g
	}
	value := func(fc models.FacetCount) string { return fc.Value }
	name := func(fc models.FacetCount) string {
		if fc.Name != "" {
			return fc.Name
		}
		return fc.Value
	}
	status := func(fc models.FacetCount) string { return statusLabel(fc.Value) }
	return []chipGroup{
		group("Type", "type", f.Types, value),
		group("Status", "status", f.Statuses, status),
		group("Actor", "actor", f.Actors, name),
		group("Place", "place", f.Places, name),
		group("Tag", "tag", f.Tags, value),
	}
}

// activeChips lists the filters in force, each with a link that drops it.
func activeChips(values url.Values, path string) []chip {
	var out []chip
	for _, name := range []string{"q", "year", "from", "to", "match", "type", "status", "actor", "place", "tag"} {
		if name == "q" || name == "from" || name == "to" || name == "match" {
			if v := values.Get(name); v != "" {
				next := cloneValues(values)
				next.Del("cursor")
				next.Del(name)
				out = append(out, chip{Label: name + ": " + v, Href: path + canonicalQuery(next)})
			}
			continue
		}
		for _, v := range listValues(values, name) {
			out = append(out, chip{Label: name + ": " + v, Href: toggled(values, path, name, v)})
		}
	}
	return out
}

// explainMatch says in words which events the date filters keep, and how
// match decides for events whose date is vague.
func explainMatch(f models.EventFilter, values url.Values) string {
	var period []string
	if len(f.Years) > 0 {
		years := make([]string, len(f.Years))
		for i, y := range f.Years {
			years[i] = strconv.Itoa(y)
		}
		period = append(period, "the year "+strings.Join(years, " or "))
	}
	from, to := values.Get("from"), values.Get("to")
	switch {
	case from != "" && to != "" && from == to:
		period = append(period, from)
	case from != "" && to != "":
		period = append(period, "the period from "+from+" to "+to)
	case from != "":
		period = append(period, "the period from "+from+" on")
	case to != "":
		period = append(period, "the period up to "+to)
	}
	if len(period) == 0 {
		return "No date filter: events of every date are shown. Choose a year or a date range; " +
			"then \"may overlap\" also counts events whose vague date could fall in it, " +
			"and \"certainly within\" only those whose whole date lies inside it."
	}
	p := strings.Join(period, " and ")
	if f.Within {
		return "Showing events that certainly happened within " + p + ": the whole of each event's date lies inside it. " +
			"An event known only to a wider period (say, only to its year) is left out."
	}
	return "Showing events that may overlap " + p + ": every event whose date range touches it, including events " +
		"known only to a wider period (say, only to their year) that could have happened then. " +
		"Choose \"certainly within\" to keep only those that surely did."
}
