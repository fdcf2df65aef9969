package api

import (
	"context"
	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

type timelineList struct {
	Data  []timelineJSON `json:"data"`
	Links listLinks      `json:"links"`
	Meta  struct {
		Count int `json:"count"`
	} `json:"meta"`
}

// listTimelines answers GET /v1/timelines.
func (s *server) listTimelines(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	ts, err := s.store.ListTimelines(c.Request.Context())
	if err != nil {
		return err
	}
	var body timelineList
	body.Data = make([]timelineJSON, len(ts))
	for i, t := range ts {
		body.Data[i] = newTimelineJSON(t)
	}
	body.Links.Self = c.Request.URL.Path
	body.Meta.Count = len(ts)
	c.Set("rows", len(ts))
	return writeJSON(c, body)
}

// getTimeline answers GET /v1/timelines/{id}.
func (s *server) getTimeline(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return errNoTimeline(id)
	}
	t, err := s.findTimeline(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if done, err := s.recordNotModified(c, models.TableTimelines, id); done || err != nil {
		return err
	}
	c.Set("rows", 1)
	return writeJSON(c, newTimelineJSON(t))
}

// findTimeline reads the timeline id; a missing one is the 404 problem
// every route that names a timeline answers.
func (s *server) findTimeline(ctx context.Context, id string) (models.Timeline, error) {
	t, err := s.store.FindTimelineByID(ctx, id)
	if err == models.ErrNotFound {
		return t, errNoTimeline(id)
	}
	return t, err
}

// errNoTimeline is the 404 problem for a timeline id that names none.
func errNoTimeline(id string) error {
	return notFound("No timeline has the id " + quoteID(id) + ".")
}
