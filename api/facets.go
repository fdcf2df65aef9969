package api

import (
	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// facetList is the body of GET /v1/facets: for each dimension, the number
// of matching events with each value, ready to be drawn as filter chips.
// A value is what the dimension's parameter takes (year=2019, actor=csto).
type facetList struct {
	Data  facetData `json:"data"`
	Links listLinks `json:"links"`
	Meta  struct {
		Events int `json:"events"`
	} `json:"meta"`
}

type facetData struct {
	Year   []yearFacetJSON  `json:"year"`
	Type   []facetJSON      `json:"type"`
	Status []facetJSON      `json:"status"`
	Actor  []namedFacetJSON `json:"actor"`
	Place  []namedFacetJSON `json:"place"`
	Tag    []facetJSON      `json:"tag"`
}

type facetJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// yearFacetJSON is a year and its count; the year is a number, as in
// /v1/years.
type yearFacetJSON struct {
	Value int `json:"value"`
	Count int `json:"count"`
}

type namedFacetJSON struct {
	Value string `json:"value"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// listFacets answers GET /v1/facets: the events that the same filters
// select on /v1/events, counted by year, type, status, actor, place and
// tag.
func (s *server) listFacets(c *gin.Context) error {
	f, values, done, err := s.filterRequest(c)
	if done || err != nil {
		return err
	}
	facets, err := s.store.CountFacets(c.Request.Context(), f)
	if err != nil {
		return err
	}
	var body facetList
	body.Data.Year = make([]yearFacetJSON, len(facets.Years))
	for i, y := range facets.Years {
		body.Data.Year[i] = yearFacetJSON{Value: y.Year, Count: y.Count}
	}
	body.Data.Type = plainFacets(facets.Types)
	body.Data.Status = plainFacets(facets.Statuses)
	body.Data.Actor = namedFacets(facets.Actors)
	body.Data.Place = namedFacets(facets.Places)
	body.Data.Tag = plainFacets(facets.Tags)
	body.Meta.Events = facets.Events
	body.Links.Self = c.Request.URL.Path + canonicalQuery(values)
	c.Set("rows", facets.Events)
	return writeJSON(c, body)
}

func plainFacets(counts []models.FacetCount) []facetJSON {
	out := make([]facetJSON, len(counts))
	for i, fc := range counts {
		out[i] = facetJSON{Value: fc.Value, Count: fc.Count}
	}
	return out
}

func namedFacets(counts []models.FacetCount) []namedFacetJSON {
	out := make([]namedFacetJSON, len(counts))
	for i, fc := range counts {
		out[i] = namedFacetJSON{Value: fc.Value, Name: fc.Name, Count: fc.Count}
	}
	return out
}
