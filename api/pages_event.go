package api

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// eventItem is an event as the explorer shows it.
type eventItem struct {
	models.Event
	Status string
	// Actors and Places link to the timeline filtered by each.
	Actors, Places []link
	Tags           []link
	Start, End     string
	Precision      string
}

type link struct {
	Label, Href, Note string
}

func newEventItem(e models.Event) eventItem {
	in := "/timelines/" + url.PathEscape(e.Timeline) + "?"
	it := eventItem{Event: e, Status: statusLabel(e.Status), Start: e.Span.Start.String(), End: e.Span.End.String(),
		Precision: string(e.Span.Precision)}
	for _, a := range e.Actors {
		it.Actors = append(it.Actors, link{Label: a.Name, Href: in + url.Values{"actor": {a.ID}}.Encode(), Note: a.Role})
	}
	for _, p := range e.Places {
		it.Places = append(it.Places, link{Label: p.Name, Href: in + url.Values{"place": {p.ID}}.Encode(), Note: p.Kind})
	}
	for _, t := range e.Tags {
		it.Tags = append(it.Tags, link{Label: t, Href: in + url.Values{"tag": {t}}.Encode()})
	}
	return it
}

// eventPageData is everything the event page shows.
type eventPageData struct {
	pageBase
	Event    eventItem
	Timeline models.Timeline
	// JSONLD is the schema.org Event that describes the page to search
	// engines; the template writes it as JSON.
	JSONLD map[string]any
	// APIURL is the event in the API.
	APIURL string
	// Revisions is the event's editorial history, newest first: the last
	// maxPageRevisions of them (the API pages through all of them).
	Revisions []revisionItem
	// RevisionsURL is the whole history in the API.
	RevisionsURL string
}

// maxPageRevisions is how many revisions an event page lists.
const maxPageRevisions = 20

// revisionItem is one entry of an event's editorial history.
type revisionItem struct {
	When, Who, What string
}

// eventPage answers GET /events/{id}: one event with all it carries.
func (s *server) eventPage(c *gin.Context) (string, any, error) {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return "", nil, err
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return "", nil, notFound("No event has the id " + quoteID(id) + ".")
	}
	// The event is read before the conditional headers are, so that a
	// missing one is a 404 whatever If-None-Match says.
	ctx := c.Request.Context()
	e, err := s.store.FindEventByID(ctx, id)
	if err == models.ErrNotFound {
		return "", nil, notFound("No event has the id " + quoteID(id) + ".")
	}
	if err != nil {
		return "", nil, err
	}
	if done, err := s.notModified(c); done || err != nil {
		return "", nil, err
	}
	t, err := s.store.FindTimelineByID(ctx, e.Timeline)
	if err != nil {
		return "", nil, err
	}
	base := baseURL(c)
	d := eventPageData{
		pageBase: pageBase{Title: e.Title, Description: e.DisplayDate + ": " + e.Summary, Nav: "event",
			Canonical: base + "/events/" + url.PathEscape(e.ID)},
		Event:    newEventItem(e),
		Timeline: t,
		APIURL:   base + "/v1/events/" + url.PathEscape(e.ID),
	}
	d.JSONLD = eventJSONLD(e, d.Canonical)
	if s.writes != nil {
		revs, _, err := s.writes.FindRevisions(ctx, id, 0, maxPageRevisions)
		if err != nil {
			return "", nil, err
		}
		for _, r := range revs {
			what := r.Action
			if r.Comment != "" {
				what += ": " + r.Comment
			}
			d.Revisions = append(d.Revisions, revisionItem{When: r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
				Who: "key " + r.KeyID, What: "revision " + strconv.FormatInt(r.Revision, 10) + ", " + what})
		}
		d.RevisionsURL = d.APIURL + "/revisions"
	}
	return "event", d, nil
}

// eventJSONLD describes e as a schema.org Event. Its dates are as precise
// as the event's: "2019" for an event known to the year, "2019-10" to the
// month; a decade or a vaguer span gives its first and last day.
func eventJSONLD(e models.Event, canonical string) map[string]any {
	start, end := e.Span.Start.String(), e.Span.End.String()
	switch e.Span.Precision {
	case models.PrecisionYear:
		start, end = start[:4], end[:4]
	case models.PrecisionMonth:
		start, end = start[:7], end[:7]
	}
	ld := map[string]any{
		"@context":    "https://schema.org",
		"@type":       "Event",
		"name":        e.Title,
		"description": e.Summary,
		"startDate":   start,
		"endDate":     end,
		"url":         canonical,
		"identifier":  e.ID,
	}
	if e.Status == models.StatusPlanned {
		ld["eventStatus"] = "https://schema.org/EventScheduled"
	}
	var places []map[string]any
	for _, p := range e.Places {
		places = append(places, map[string]any{"@type": "Place", "name": p.Name})
	}
	switch len(places) {
	case 0:
	case 1:
		ld["location"] = places[0]
	default:
		ld["location"] = places
	}
	var actors []map[string]any
	for _, a := range e.Actors {
		kind := "Organization"
		if a.Kind == "person" {
			kind = "Person"
		}
		actors = append(actors, map[string]any{"@type": kind, "name": a.Name})
	}
	if len(actors) > 0 {
		ld["attendee"] = actors
	}
	return ld
}
