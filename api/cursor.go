package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/csto-timeline/timeline/models"
)

// maxCursorBytes bounds the cursor parameter before any decoding.
const maxCursorBytes = 512

// cursorCodec issues and checks opaque keyset cursors. A cursor carries the
// last row's (start_date, id) and a fingerprint of the query it belongs to,
// signed with HMAC-SHA256, so a tampered cursor, or one replayed against
// different filters, is rejected instead of widening or shifting a listing.
type cursorCodec struct{ key []byte }

type cursorPayload struct {
	Start string `json:"s"`
	ID    string `json:"i"`
	Query string `json:"q"`
}

var errBadCursor = errors.New("malformed or tampered cursor; use links.next from a previous page")

// queryFingerprint is a canonical digest of everything that defines a
// listing except its page size.
func queryFingerprint(f models.EventFilter) string {
	sorted := func(s []string) string {
		c := slices.Clone(s)
		slices.Sort(c)
		return strings.Join(c, ",")
	}
	years := slices.Clone(f.Years)
	slices.Sort(years)
	canon := fmt.Sprintf("t=%s|y=%v|ty=%s|st=%s|a=%s|p=%s|tg=%s|f=%s|to=%s|d=%t",
		sorted(f.Timelines), years, sorted(f.Types), sorted(f.Statuses), sorted(f.Actors),
		sorted(f.Places), sorted(f.Tags), f.From, f.To, f.Descending)
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func (cc cursorCodec) sign(b []byte) []byte {
	m := hmac.New(sha256.New, cc.key)
	m.Write(b)
	return m.Sum(nil)[:16]
}

// encode returns the cursor that continues f after key.
func (cc cursorCodec) encode(f models.EventFilter, key models.EventKey) string {
	b, _ := json.Marshal(cursorPayload{Start: key.StartDate.String(), ID: key.ID, Query: queryFingerprint(f)})
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(cc.sign(b))
}

// decode checks a cursor against the query it is used with.
func (cc cursorCodec) decode(s string, f models.EventFilter) (models.EventKey, error) {
	if len(s) > maxCursorBytes {
		return models.EventKey{}, errBadCursor
	}
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return models.EventKey{}, errBadCursor
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, cc.sign(b)) {
		return models.EventKey{}, errBadCursor
	}
	var p cursorPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return models.EventKey{}, errBadCursor
	}
	if p.Query != queryFingerprint(f) {
		return models.EventKey{}, errors.New("this cursor belongs to a query with other filters or another sort; repeat the query without a cursor")
	}
	d, err := models.ParseDate(p.Start)
	if err != nil || !models.ValidSlug(p.ID) {
		return models.EventKey{}, errBadCursor
	}
	return models.EventKey{StartDate: d, ID: p.ID}, nil
}
