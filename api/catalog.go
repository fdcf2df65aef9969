package api

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// The catalog: actors, places and tags, each with the number of its events
// and the period they cover. Lists are keyset-paged on id, like events on
// (start_date, id): limit 1–500 (default 50) and an opaque cursor.

type usageJSON struct {
	EventCount int     `json:"event_count"`
	StartDate  *string `json:"start_date"`
	EndDate    *string `json:"end_date"`
}

type actorJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Aliases []string `json:"aliases"`
	usageJSON
}

type catalogPlaceJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Country *string  `json:"country"`
	Aliases []string `json:"aliases"`
	usageJSON
}

type tagJSON struct {
	ID string `json:"id"`
	usageJSON
}

type catalogList[T any] struct {
	Data  []T       `json:"data"`
	Links pageLinks `json:"links"`
	Meta  struct {
		Count int `json:"count"`
		Limit int `json:"limit"`
	} `json:"meta"`
}

func newUsageJSON(u models.Usage) usageJSON {
	return usageJSON{EventCount: u.EventCount, StartDate: optional(u.StartDate.String()), EndDate: optional(u.EndDate.String())}
}

func newActorJSON(a models.ActorUsage) actorJSON {
	return actorJSON{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: nonNilStrings(a.Aliases), usageJSON: newUsageJSON(a.Usage)}
}

func newCatalogPlaceJSON(p models.PlaceUsage) catalogPlaceJSON {
	return catalogPlaceJSON{ID: p.ID, Name: p.Name, Kind: p.Kind, Country: optional(p.Country),
		Aliases: nonNilStrings(p.Aliases), usageJSON: newUsageJSON(p.Usage)}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// catalogFingerprint identifies a catalog listing (which resource, which
// kinds) for its cursors; the "catalog" prefix keeps them apart from event
// cursors.
func catalogFingerprint(resource string, kinds []string) string {
	k := slices.Clone(kinds)
	slices.Sort(k)
	sum := sha256.Sum256([]byte("catalog|" + resource + "|kind=" + strings.Join(k, ",")))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// catalogRequest reads the parameters of a catalog listing: kind (when
// kinds is not nil), limit and cursor.
func (s *server) catalogRequest(c *gin.Context, resource string, kinds []string) (models.CatalogFilter, string, error) {
	allowed := []string{"limit", "cursor"}
	if kinds != nil {
		allowed = append(allowed, "kind")
	}
	p := newParams(c.Request.URL.Query(), allowed...)
	var f models.CatalogFilter
	if kinds != nil {
		f.Kinds = p.list("kind", oneOf(kinds))
	}
	f.Limit = p.limit()
	if err := p.err(); err != nil {
		return f, "", err
	}
	fingerprint := catalogFingerprint(resource, f.Kinds)
	if v, ok := p.single("cursor"); ok {
		id, err := s.cursors.decodeID(v, fingerprint)
		if err != nil {
			p.errs.Add("cursor", "%v", err)
			return f, "", p.err()
		}
		f.After = id
	}
	return f, fingerprint, p.err()
}

// writeCatalog answers with one page of a catalog listing.
func writeCatalog[T any](s *server, c *gin.Context, data []T, f models.CatalogFilter, more bool, lastID, fingerprint string) error {
	body := catalogList[T]{Data: data}
	body.Meta.Count, body.Meta.Limit = len(data), f.Limit
	values := c.Request.URL.Query()
	body.Links.Self = c.Request.URL.Path + canonicalQuery(values)
	if more {
		next := cloneValues(values)
		next.Set("cursor", s.cursors.encodeID(fingerprint, lastID))
		link := pageLink(c, c.Request.URL.Path, next)
		body.Links.Next = &link
		c.Header("Link", "<"+link+`>; rel="next"`)
	}
	c.Set("rows", len(data))
	return writeJSON(c, body)
}

// listActors answers GET /v1/actors.
func (s *server) listActors(c *gin.Context) error {
	f, fingerprint, err := s.catalogRequest(c, "actors", models.ActorKinds)
	if err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	actors, more, err := s.store.FindActors(c.Request.Context(), f)
	if err != nil {
		return err
	}
	data := make([]actorJSON, len(actors))
	for i, a := range actors {
		data[i] = newActorJSON(a)
	}
	return writeCatalog(s, c, data, f, more, lastOf(data, func(a actorJSON) string { return a.ID }), fingerprint)
}

// getActor answers GET /v1/actors/{id}.
func (s *server) getActor(c *gin.Context) error {
	id, err := catalogID(c, "actor")
	if err != nil {
		return err
	}
	a, err := s.store.FindActorByID(c.Request.Context(), id)
	if err == models.ErrNotFound {
		return notFound("No actor has the id " + quoteID(id) + ".")
	}
	if err != nil {
		return err
	}
	if done, err := s.recordNotModified(c, "actors", id); done || err != nil {
		return err
	}
	c.Set("rows", 1)
	return writeJSON(c, newActorJSON(a))
}

// listPlaces answers GET /v1/places.
func (s *server) listPlaces(c *gin.Context) error {
	f, fingerprint, err := s.catalogRequest(c, "places", models.PlaceKinds)
	if err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	places, more, err := s.store.FindPlaces(c.Request.Context(), f)
	if err != nil {
		return err
	}
	data := make([]catalogPlaceJSON, len(places))
	for i, p := range places {
		data[i] = newCatalogPlaceJSON(p)
	}
	return writeCatalog(s, c, data, f, more, lastOf(data, func(p catalogPlaceJSON) string { return p.ID }), fingerprint)
}

// getPlace answers GET /v1/places/{id}.
func (s *server) getPlace(c *gin.Context) error {
	id, err := catalogID(c, "place")
	if err != nil {
		return err
	}
	p, err := s.store.FindPlaceByID(c.Request.Context(), id)
	if err == models.ErrNotFound {
		return notFound("No place has the id " + quoteID(id) + ".")
	}
	if err != nil {
		return err
	}
	if done, err := s.recordNotModified(c, "places", id); done || err != nil {
		return err
	}
	c.Set("rows", 1)
	return writeJSON(c, newCatalogPlaceJSON(p))
}

// listTags answers GET /v1/tags.
func (s *server) listTags(c *gin.Context) error {
	f, fingerprint, err := s.catalogRequest(c, "tags", nil)
	if err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	tags, more, err := s.store.FindTags(c.Request.Context(), f)
	if err != nil {
		return err
	}
	data := make([]tagJSON, len(tags))
	for i, t := range tags {
		data[i] = tagJSON{ID: t.Tag, usageJSON: newUsageJSON(t.Usage)}
	}
	return writeCatalog(s, c, data, f, more, lastOf(data, func(t tagJSON) string { return t.ID }), fingerprint)
}

// catalogID checks the request for one actor or place: no parameters and
// an id that can exist, a 404 for an impossible id. The caller looks the
// id up before answering a conditional request, so that a missing entry
// is a 404 whatever If-None-Match or If-Modified-Since say.
func catalogID(c *gin.Context, kind string) (string, error) {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return "", err
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return "", notFound("No " + kind + " has the id " + quoteID(id) + ".")
	}
	return id, nil
}

func lastOf[T any](data []T, id func(T) string) string {
	if len(data) == 0 {
		return ""
	}
	return id(data[len(data)-1])
}
