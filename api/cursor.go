package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

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
	Start string `json:"s,omitempty"`
	ID    string `json:"i"`
	Query string `json:"q"`
	// Rank is the last event's search rank, in listings sorted by
	// relevance only: cursors of other listings are as before.
	Rank *float64 `json:"r,omitempty"`
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
	names := func(s []string) string {
		keys := make([]string, len(s))
		for i, n := range s {
			keys[i] = models.NameKey(n)
		}
		return sorted(keys)
	}
	canon := fmt.Sprintf("t=%s|y=%v|ty=%s|st=%s|a=%s|p=%s|tg=%s|f=%s|to=%s|d=%t",
		sorted(f.Timelines), years, sorted(f.Types), sorted(f.Statuses), names(f.Actors),
		names(f.Places), sorted(f.Tags), f.From, f.To, f.Descending)
	// Later parameters are added only when set, so that cursors issued
	// before they existed still match the same queries.
	if !f.Query.IsZero() {
		canon += "|q=" + f.Query.String()
	}
	if f.Within {
		canon += "|m=within"
	}
	if f.Relevance {
		canon += "|sort=relevance"
	}
	if !f.UpdatedSince.IsZero() {
		canon += "|us=" + f.UpdatedSince.UTC().Format(time.RFC3339Nano)
	}
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
	p := cursorPayload{Start: key.StartDate.String(), ID: key.ID, Query: queryFingerprint(f)}
	if f.Relevance {
		rank := 0.0
		if key.Rank != nil && !math.IsNaN(*key.Rank) && !math.IsInf(*key.Rank, 0) {
			rank = *key.Rank
		}
		p.Rank = &rank
	}
	return cc.seal(p)
}

// decode checks a cursor against the query it is used with.
func (cc cursorCodec) decode(s string, f models.EventFilter) (models.EventKey, error) {
	p, err := cc.open(s, queryFingerprint(f))
	if err != nil {
		return models.EventKey{}, err
	}
	d, err := models.ParseDate(p.Start)
	if err != nil || !models.ValidSlug(p.ID) || f.Relevance && p.Rank == nil {
		return models.EventKey{}, errBadCursor
	}
	key := models.EventKey{StartDate: d, ID: p.ID}
	if f.Relevance {
		key.Rank = p.Rank
	}
	return key, nil
}

// encodeID returns the cursor that continues a listing in id order after
// id; fingerprint identifies the listing.
func (cc cursorCodec) encodeID(fingerprint, id string) string {
	return cc.seal(cursorPayload{ID: id, Query: fingerprint})
}

// decodeID checks a cursor of a listing in id order and returns its id.
func (cc cursorCodec) decodeID(s, fingerprint string) (string, error) {
	p, err := cc.open(s, fingerprint)
	if err != nil {
		return "", err
	}
	if p.Start != "" || p.Rank != nil || !models.ValidSlug(p.ID) {
		return "", errBadCursor
	}
	return p.ID, nil
}

// seal encodes and signs a payload.
func (cc cursorCodec) seal(p cursorPayload) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(cc.sign(b))
}

// open checks a cursor's signature and that it belongs to the listing
// with this fingerprint.
func (cc cursorCodec) open(s, fingerprint string) (cursorPayload, error) {
	if len(s) > maxCursorBytes {
		return cursorPayload{}, errBadCursor
	}
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return cursorPayload{}, errBadCursor
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, cc.sign(b)) {
		return cursorPayload{}, errBadCursor
	}
	var p cursorPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return cursorPayload{}, errBadCursor
	}
	if p.Query != fingerprint {
		return cursorPayload{}, errors.New("this cursor belongs to a query with other filters or another sort; repeat the query without a cursor")
	}
	return p, nil
}
