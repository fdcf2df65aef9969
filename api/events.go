package api

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

type eventList struct {
	// Data is []eventJSON, or []sparseEventJSON for a sparse fieldset.
	Data  any       `json:"data"`
	Links pageLinks `json:"links"`
	Meta  eventMeta `json:"meta"`
}

type eventMeta struct {
	Count int    `json:"count"`
	Limit int    `json:"limit"`
	Sort  string `json:"sort"`
	// Total is the number of events matching the filters on every page
	// together, sent only when asked for (see wantsTotal): counting costs
	// a query of its own.
	Total *int `json:"total,omitempty"`
}

// listEvents answers GET /v1/events: filtered, sorted, keyset-paged JSON,
// or a streamed export of every matching event when another format is
// asked for.
func (s *server) listEvents(c *gin.Context) error { return s.events(c, "") }

// listEventsAs answers GET /v1/events.json, /v1/events.csv and
// /v1/events.ndjson.
func (s *server) listEventsAs(fm format) handler {
	return func(c *gin.Context) error { return s.events(c, fm) }
}

func (s *server) events(c *gin.Context, suffix format) error {
	values := c.Request.URL.Query()
	p := newParams(values, append([]string{"sort", "limit", "cursor", "format", "count", "fields", "include"}, filterParams...)...)
	f := p.filter()
	f.Fields = p.fields()
	fm, err := negotiate(c, p, suffix)
	if err != nil {
		return err
	}
	if fm == formatTimelineJS && values.Has("fields") {
		p.errs.Add("fields", "a TimelineJS document has its own fields; fields applies to json, ndjson and csv")
	}
	f.IncludeRetracted = p.includeRetracted(fm)
	sort := "date"
	if v, ok := p.single("sort"); ok {
		switch v {
		case "date":
		case "-date":
			sort, f.Descending = v, true
		case "relevance":
			if f.Query.IsZero() {
				p.errs.Add("sort", "relevance ranks the matches of a search; give q as well")
			}
			sort, f.Relevance = v, true
		default:
			p.errs.Add("sort", "%q is not one of date, -date, relevance", v)
		}
	}
	count := fm == formatJSON && wantsTotal(c, p)
	if fm != formatJSON {
		for _, name := range []string{"limit", "cursor", "count"} {
			if values.Has(name) {
				p.errs.Add(name, "%s exports stream every matching event; %s pages JSON only", fm, name)
			}
		}
		if err := p.err(); err != nil {
			return err
		}
		if done, err := s.notModified(c); done || err != nil {
			return err
		}
		return s.export(c, f, fm, values)
	}
	f.Limit = p.limit()
	if err := p.err(); err != nil {
		return err
	}
	if v, ok := p.single("cursor"); ok {
		key, err := s.cursors.decode(v, f)
		if err != nil {
			p.errs.Add("cursor", "%v", err)
			return p.err()
		}
		f.After = &key
	}
	// single reports an empty, repeated or over-long cursor as an error
	// rather than a value: a client that appends "&cursor=" must not get
	// the first page again, forever.
	if err := p.err(); err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}

	events, more, err := s.store.FindEvents(c.Request.Context(), f)
	if err != nil {
		return err
	}
	body := eventList{Meta: eventMeta{Count: len(events), Limit: f.Limit, Sort: sort}}
	if count {
		total, err := s.store.CountEvents(c.Request.Context(), f)
		if err != nil {
			return err
		}
		body.Meta.Total = &total
	}
	if f.Fields.All() {
		data := make([]eventJSON, len(events))
		for i, e := range events {
			data[i] = newEventJSON(e)
		}
		body.Data = data
	} else {
		data := make([]sparseEventJSON, len(events))
		for i, e := range events {
			data[i] = newSparseEventJSON(e, f.Fields)
		}
		body.Data = data
	}
	body.Links.Self = c.Request.URL.Path + canonicalQuery(values)
	if more {
		last := events[len(events)-1]
		next := cloneValues(values)
		next.Set("cursor", s.cursors.encode(f, last.Key()))
		link := pageLink(c, c.Request.URL.Path, next)
		body.Links.Next = &link
		c.Header("Link", "<"+link+`>; rel="next"`)
	}
	c.Set("rows", len(events))
	return writeJSON(c, body)
}

// getEvent answers GET /v1/events/{id}.
func (s *server) getEvent(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return notFound("No event has the id " + quoteID(id) + ".")
	}
	// The lookup comes before the conditional check: a missing event is a
	// 404 whatever If-None-Match or If-Modified-Since say.
	if s.writes != nil {
		// The event's own ETag, its version, which If-Match takes back.
		e, version, err := s.writes.FindEventVersioned(c.Request.Context(), id)
		if err == models.ErrNotFound {
			return notFound("No event has the id " + quoteID(id) + ".")
		}
		if err != nil {
			return err
		}
		if s.resourceNotModified(c, version, e.UpdatedAt) {
			return nil
		}
		c.Set("rows", 1)
		return writeJSON(c, newEventJSON(e))
	}
	e, err := s.store.FindEventByID(c.Request.Context(), id)
	if err == models.ErrNotFound {
		return notFound("No event has the id " + quoteID(id) + ".")
	}
	if err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	c.Set("rows", 1)
	return writeJSON(c, newEventJSON(e))
}

type yearList struct {
	Data  []yearJSON `json:"data"`
	Links listLinks  `json:"links"`
	Meta  yearMeta   `json:"meta"`
}

type yearJSON struct {
	Year  int `json:"year"`
	Count int `json:"count"`
}

type yearMeta struct {
	Years  int `json:"years"`
	Events int `json:"events"`
}

// filterRequest reads a request that takes only the event filters (years,
// facets) and answers it with 304 when it can: done reports that the
// response is written.
func (s *server) filterRequest(c *gin.Context) (f models.EventFilter, values url.Values, done bool, err error) {
	values = c.Request.URL.Query()
	p := newParams(values, filterParams...)
	f = p.filter()
	if err := p.err(); err != nil {
		return f, values, false, err
	}
	done, err = s.notModified(c)
	return f, values, done, err
}

// listYears answers GET /v1/years: event density per year.
func (s *server) listYears(c *gin.Context) error {
	f, values, done, err := s.filterRequest(c)
	if done || err != nil {
		return err
	}
	counts, total, err := s.store.CountEventsByYear(c.Request.Context(), f)
	if err != nil {
		return err
	}
	body := yearList{Data: make([]yearJSON, len(counts)), Meta: yearMeta{Years: len(counts), Events: total}}
	for i, y := range counts {
		body.Data[i] = yearJSON{Year: y.Year, Count: y.Count}
	}
	body.Links.Self = c.Request.URL.Path + canonicalQuery(values)
	c.Set("rows", len(counts))
	return writeJSON(c, body)
}

// canonicalQuery encodes values with sorted keys, "" when empty.
func canonicalQuery(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func quoteID(id string) string {
	if len(id) > 80 {
		id = id[:80] + "…"
	}
	return "\"" + id + "\""
}

// variantKey names the context value that notModified adds to the ETag
// for a representation that depends on a request header other than
// Accept (Prefer: count=exact).
const variantKey = "etag_variant"

// wantsTotal reports whether the client asked for meta.total, with
// ?count=true or, as PostgREST clients do, Prefer: count=exact. The
// preference is acknowledged with Preference-Applied (RFC 7240).
func wantsTotal(c *gin.Context, p *params) bool {
	c.Writer.Header().Add("Vary", "Prefer")
	if v, ok := p.single("count"); ok {
		switch v {
		case "true":
			c.Set(variantKey, "count")
			return true
		case "false":
		default:
			p.errs.Add("count", "%q is not true or false", v)
		}
		return false
	}
	for _, pref := range c.Request.Header.Values("Prefer") {
		for _, token := range strings.Split(pref, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(token), " ", ""), "count=exact") {
				c.Header("Preference-Applied", "count=exact")
				c.Set(variantKey, "count")
				return true
			}
		}
	}
	return false
}
