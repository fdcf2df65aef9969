package api

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

type revisionJSON struct {
	Revision  int64           `json:"revision"`
	Version   int64           `json:"version"`
	Action    string          `json:"action"`
	Timeline  string          `json:"timeline"`
	Event     models.EventDoc `json:"event"`
	KeyID     string          `json:"key_id"`
	Comment   string          `json:"comment"`
	CreatedAt time.Time       `json:"created_at"`
}

func newRevisionJSON(r models.Revision) revisionJSON {
	return revisionJSON{Revision: r.Revision, Version: r.Version, Action: r.Action, Timeline: r.Timeline, Event: r.Event,
		KeyID: r.KeyID, Comment: r.Comment, CreatedAt: r.CreatedAt}
}

type revisionList struct {
	Data  []revisionJSON `json:"data"`
	Links pageLinks      `json:"links"`
	Meta  struct {
		Count int `json:"count"`
		Limit int `json:"limit"`
	} `json:"meta"`
}

// listRevisions answers GET /v1/events/{id}/revisions: the event's
// changes, newest first, keyset-paged on the revision number. A retracted
// event's revisions stay readable.
func (s *server) listRevisions(c *gin.Context) error {
	p := newParams(c.Request.URL.Query(), "limit", "cursor")
	limit := p.limit()
	var before int64
	if v, ok := p.single("cursor"); ok {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.ParseInt(string(b), 10, 64)
		if err != nil || err2 != nil || n < 1 {
			p.errs.Add("cursor", "malformed cursor; use links.next from a previous page")
		}
		before = n
	}
	if err := p.err(); err != nil {
		return err
	}
	if s.writes == nil {
		return models.ErrUnavailable
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return notFound("No event has the id " + quoteID(id) + ".")
	}
	revs, more, err := s.writes.FindRevisions(c.Request.Context(), id, before, limit)
	if err == models.ErrNotFound {
		return notFound("No event has the id " + quoteID(id) + ".")
	}
	if err != nil {
		return err
	}
	var body revisionList
	body.Data = make([]revisionJSON, len(revs))
	for i, r := range revs {
		body.Data[i] = newRevisionJSON(r)
	}
	body.Meta.Count, body.Meta.Limit = len(revs), limit
	body.Links.Self = c.Request.URL.Path + canonicalQuery(c.Request.URL.Query())
	if more {
		next := pageLink(c, c.Request.URL.Path, url.Values{
			"cursor": {base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(revs[len(revs)-1].Revision, 10)))},
			"limit":  {strconv.Itoa(limit)}})
		body.Links.Next = &next
		c.Header("Link", "<"+next+`>; rel="next"`)
	}
	c.Header("Cache-Control", "no-cache")
	c.Set("rows", len(revs))
	return writeJSON(c, body)
}

// getRevision answers GET /v1/events/{id}/revisions/{n}.
func (s *server) getRevision(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	if s.writes == nil {
		return models.ErrUnavailable
	}
	id := c.Param("id")
	n, err := strconv.ParseInt(c.Param("n"), 10, 64)
	if err != nil || n < 1 || !models.ValidSlug(id) {
		return notFound("No such revision.")
	}
	r, err := s.writes.FindRevision(c.Request.Context(), id, n)
	if err == models.ErrNotFound {
		return notFound("The event " + quoteID(id) + " has no revision " + strconv.FormatInt(n, 10) + ".")
	}
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "public, max-age=86400, immutable")
	return writeJSON(c, newRevisionJSON(r))
}
