package api

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// The change feed: GET /v1/changes hands out committed changes in commit
// order after a token, never skipping or repeating one (see models'
// FindChanges), optionally waiting for the next one (long-poll).

// ChangeStore is what the feed needs from storage.
type ChangeStore interface {
	FindChanges(ctx context.Context, f models.ChangeFilter) ([]models.Change, bool, error)
	// SubscribeChanges returns a channel closed when a change may have
	// committed since the call; done releases it.
	SubscribeChanges(ctx context.Context) (<-chan struct{}, func())
}

var _ ChangeStore = (*models.Store)(nil)

// Bounds of the feed.
const (
	maxWait          = 30
	defaultFeedLimit = 100
	maxFeedLimit     = 1000
)

type changeJSON struct {
	Kind     string          `json:"kind"`
	ID       string          `json:"id"`
	Timeline *string         `json:"timeline"`
	Change   string          `json:"change"`
	Revision int64           `json:"revision"`
	Version  int64           `json:"version"`
	Time     time.Time       `json:"time"`
	Resource json.RawMessage `json:"resource"`
	Token    string          `json:"token"`
}

type changesJSON struct {
	Changes []changeJSON `json:"changes"`
	// HasMore says that more changes follow at once: read links.next
	// without waiting.
	HasMore bool        `json:"has_more"`
	Links   changeLinks `json:"links"`
}

type changeLinks struct {
	Self string `json:"self"`
	// Next is where to read the feed on from; always given.
	Next string `json:"next"`
}

func newChangeJSON(c models.Change) changeJSON {
	out := changeJSON{Kind: c.Kind, ID: c.ID, Timeline: optional(c.Timeline), Change: c.Action, Revision: c.Revision,
		Version: c.Version, Time: c.CreatedAt, Resource: c.Content, Token: encodeFeedToken(models.FeedToken{Position: c.Position, Seq: c.Seq})}
	if out.Resource == nil {
		out.Resource = json.RawMessage("null")
	}
	return out
}

// encodeFeedToken makes the opaque token of a feed position. It is not
// signed: any position is a valid place to read from.
func encodeFeedToken(t models.FeedToken) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("c1.%d.%d", t.Position, t.Seq)))
}

func decodeFeedToken(s string) (models.FeedToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return models.FeedToken{}, false
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != "c1" {
		return models.FeedToken{}, false
	}
	p, err1 := strconv.ParseInt(parts[1], 10, 64)
	q, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || p < 0 || q < 0 {
		return models.FeedToken{}, false
	}
	return models.FeedToken{Position: p, Seq: q}, true
}

// feedQuery is a parsed request of the feed.
type feedQuery struct {
	filter models.ChangeFilter
	wait   time.Duration
	format format
}

func parseFeedQuery(c *gin.Context) (feedQuery, error) {
	p := newParams(c.Request.URL.Query(), "since", "limit", "timeline", "kind", "wait", "format")
	q := feedQuery{filter: models.ChangeFilter{Limit: defaultFeedLimit}, format: formatJSON}
	if v, ok := p.single("since"); ok {
		t, good := decodeFeedToken(v)
		if !good {
			p.errs.Add("since", "is not a token of this feed; use links.next of a previous answer, or leave it out to start at the beginning")
		}
		q.filter.Since = t
	}
	if v, ok := p.single("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFeedLimit {
			p.errs.Add("limit", "must be an integer from 1 to %d", maxFeedLimit)
		}
		q.filter.Limit = n
	}
	if v, ok := p.single("timeline"); ok {
		if err := validSlug("timeline")(v); err != nil {
			p.errs.Add("timeline", "%s", err.Error())
		}
		q.filter.Timeline = v
	}
	q.filter.Kinds = p.list("kind", oneOf(models.ChangeKinds))
	if v, ok := p.single("wait"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxWait {
			p.errs.Add("wait", "must be a number of seconds from 0 to %d", maxWait)
		}
		q.wait = time.Duration(n) * time.Second
	}
	if v, ok := p.single("format"); ok {
		switch format(v) {
		case formatJSON, formatNDJSON:
			q.format = format(v)
		default:
			p.errs.Add("format", "%q is not one of json, ndjson", v)
		}
	}
	if q.format == formatNDJSON && q.wait > 0 {
		p.errs.Add("wait", "long-poll is for the JSON feed; the NDJSON export answers at once")
	}
	return q, p.err()
}

// listChanges serves GET /v1/changes.
func (s *server) listChanges(c *gin.Context) error {
	cs, ok := s.store.(ChangeStore)
	if !ok {
		return models.ErrUnavailable
	}
	q, err := parseFeedQuery(c)
	if err != nil {
		return err
	}
	if q.format == formatNDJSON {
		return s.exportChanges(c, cs, q.filter)
	}
	ctx := c.Request.Context()
	var deadline <-chan time.Time
	if q.wait > 0 {
		timer := time.NewTimer(q.wait)
		defer timer.Stop()
		deadline = timer.C
		// The response may take up to wait: keep the server's write
		// deadline beyond it.
		_ = s.extendWriteDeadline(c)
	}
	for {
		// Subscribe before reading, so that a change committed between the
		// read and the wait still wakes us. No connection is held while
		// waiting.
		var signal <-chan struct{}
		done := func() {}
		if deadline != nil {
			signal, done = cs.SubscribeChanges(ctx)
		}
		changes, more, err := cs.FindChanges(ctx, q.filter)
		if err != nil || len(changes) > 0 || deadline == nil {
			done()
			if err != nil {
				return err
			}
			return s.writeChanges(c, q.filter, changes, more)
		}
		select {
		case <-signal:
			done()
			// The change that woke us committed on the primary; a
			// replica may not have replayed it yet, and then the read
			// would find nothing and wait out its time. The reads after
			// a wake go to the primary (nothing changes without
			// replicas). The feed stays gapless either way: positions
			// follow commit order, so every replica holds a prefix.
			ctx = models.WithReadPolicy(ctx, true, 0)
		case <-deadline:
			done()
			deadline = nil // one last read, then answer
		case <-ctx.Done():
			done()
			return ctx.Err()
		}
	}
}

func (s *server) writeChanges(c *gin.Context, f models.ChangeFilter, changes []models.Change, more bool) error {
	out := changesJSON{Changes: make([]changeJSON, len(changes)), HasMore: more}
	next := f.Since
	for i, ch := range changes {
		out.Changes[i] = newChangeJSON(ch)
		next = models.FeedToken{Position: ch.Position, Seq: ch.Seq}
	}
	out.Links = changeLinks{Self: c.Request.URL.RequestURI(), Next: feedLink(c.Request.URL.Query(), next)}
	c.Header("Cache-Control", "no-store")
	return writeJSON(c, out)
}

// feedLink is the URL that reads the feed on from token, with the
// request's other parameters.
func feedLink(query url.Values, token models.FeedToken) string {
	v := url.Values{}
	for k, vs := range query {
		if k != "since" {
			v[k] = vs
		}
	}
	v.Set("since", encodeFeedToken(token))
	return "/v1/changes?" + v.Encode()
}

// exportChanges streams the feed after f.Since as NDJSON, one change a
// line with its token, to the end of the feed (or limit changes).
func (s *server) exportChanges(c *gin.Context, cs ChangeStore, f models.ChangeFilter) error {
	ctx := c.Request.Context()
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Cache-Control", "no-store")
	// The trailer only to a client that asks for it, as on the event
	// exports (see wantsTrailers).
	trailers := wantsTrailers(c.Request)
	if trailers {
		c.Header("Trailer", trailerRowsWriter)
	}
	c.Status(http.StatusOK)
	// A HEAD writes the first batch, as an event export does, so that the
	// compression middleware decides its headers as for the GET; net/http
	// drops the body.
	head := c.Request.Method == http.MethodHead
	w := bufio.NewWriterSize(c.Writer, 64<<10)
	limit := f.Limit
	if _, given := c.Request.URL.Query()["limit"]; !given {
		limit = 0 // the whole feed
	}
	f.Limit = models.StreamBatch
	rows := 0
	for limit == 0 || rows < limit {
		if limit > 0 {
			f.Limit = min(models.StreamBatch, limit-rows)
		}
		changes, more, err := cs.FindChanges(ctx, f)
		if err != nil {
			if rows == 0 && !c.Writer.Written() {
				c.Writer.Header().Del("Trailer")
				return err
			}
			s.log.ErrorContext(ctx, "feed export failed mid-stream", "request_id", c.GetString(requestIDKey), "error", err)
			panic(http.ErrAbortHandler)
		}
		for _, ch := range changes {
			if err := jsonEncode(w, newChangeJSON(ch)); err != nil {
				return nil // the client went away
			}
			f.Since = models.FeedToken{Position: ch.Position, Seq: ch.Seq}
			rows++
		}
		if err := w.Flush(); err != nil {
			return nil
		}
		_ = s.extendWriteDeadline(c)
		if !more || head {
			break
		}
	}
	if head {
		c.Writer.WriteHeaderNow()
		return nil
	}
	if trailers {
		c.Writer.Header().Set(trailerRowsWriter, strconv.Itoa(rows))
	}
	c.Set("rows", rows)
	return nil
}
