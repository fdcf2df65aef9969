package api

import (
	"bytes"
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// A write answers with one rendering of its response, which serves twice:
// the idempotency record stores it in the write's own transaction (see
// respondInTx), and the handler sends it after the commit. Both come from
// the same function of the same result, so a replay is the first answer.

// jsonAnswer is a JSON answer with status; header adds to its
// Content-Type.
func jsonAnswer(status int, v any, header map[string][]string) (models.IdempotentResponse, error) {
	var b bytes.Buffer
	if err := jsonEncode(&b, v); err != nil {
		return models.IdempotentResponse{}, err
	}
	h := map[string][]string{"Content-Type": {"application/json; charset=utf-8"}}
	for k, vs := range header {
		h[k] = vs
	}
	return models.IdempotentResponse{Status: status, Header: h, Body: b.Bytes()}, nil
}

// resourceAnswer answers a write with the resource as stored: its own
// ETag (which If-Match takes back), never cached, and its Location when
// location is not "".
func resourceAnswer(status int, version int64, location string, v any) (models.IdempotentResponse, error) {
	h := map[string][]string{"ETag": {versionETag(version)}, "Cache-Control": {"no-store"}}
	if location != "" {
		h["Location"] = []string{location}
	}
	return jsonAnswer(status, v, h)
}

// sendAnswer writes r.
func sendAnswer(c *gin.Context, r models.IdempotentResponse, err error) error {
	if err != nil {
		return err
	}
	for k, vs := range r.Header {
		c.Writer.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	c.Status(r.Status)
	_, err = c.Writer.Write(r.Body)
	return err
}

// idempotentWriteKey is where the idempotency middleware leaves the
// request's claimed key for the handler (a *models.IdempotentWrite).
const idempotentWriteKey = "idempotent_write"

// respondInTx tells the store how the request will answer from the result
// of its write, when the request has an Idempotency-Key: the store then
// records that answer in the write's transaction, reading through tx.
func (s *server) respondInTx(c *gin.Context, answer func(ctx context.Context, tx recordReader, result any) (models.IdempotentResponse, error)) {
	v, ok := c.Get(idempotentWriteKey)
	if !ok {
		return
	}
	v.(*models.IdempotentWrite).Respond = func(ctx context.Context, tx *models.Store, result any) (models.IdempotentResponse, error) {
		return answer(ctx, tx, result)
	}
}
