package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// API key scopes.
const (
	// ScopeEventsWrite creates and edits events (of the key's timeline, or
	// of all), and the actors, places and sources they link to.
	ScopeEventsWrite = "events:write"
	// ScopeTimelinesAdmin does everything: creates and edits timelines,
	// and deletes (retracts) anything.
	ScopeTimelinesAdmin = "timelines:admin"
)

// Scopes lists the scopes a key can have.
var Scopes = []string{ScopeEventsWrite, ScopeTimelinesAdmin}

// keyPrefix starts every API key, so that one is recognisable in a
// configuration file or a secret scanner.
const keyPrefix = "tlk_"

// APIKey is a credential for writes. Its secret is never stored: only its
// hash, and ID, the public part of the key, safe to log.
type APIKey struct {
	ID        string
	Name      string
	Scope     string
	Timeline  string // "" for every timeline
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// Allows reports (as ErrForbidden) whether the key may do what scope
// allows, on timeline ("" for writes that concern no one timeline).
func (k APIKey) Allows(scope, timeline string) error {
	if k.Scope != ScopeTimelinesAdmin && k.Scope != scope {
		return Errorf(ErrForbidden, "this API key has the scope %s; this write needs %s", k.Scope, scope)
	}
	if k.Timeline != "" && timeline != "" && timeline != k.Timeline {
		return Errorf(ErrForbidden, "this API key may write only to the timeline %q, not %q", k.Timeline, timeline)
	}
	return nil
}

type apiKeyRow struct {
	ID         string
	Name       string
	Scope      string
	TimelineID *string
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

func (r apiKeyRow) key() APIKey {
	k := APIKey{ID: r.ID, Name: r.Name, Scope: r.Scope, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt}
	if r.TimelineID != nil {
		k.Timeline = *r.TimelineID
	}
	return k
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey creates a key and returns it with its secret form, the
// only time that is available. expires 0 means never. Errors: a
// *ValidationError for a bad name, scope or timeline.
func (s *Store) CreateAPIKey(ctx context.Context, name, scope, timeline string, expires time.Duration) (APIKey, string, error) {
	v := &ValidationError{}
	if strings.TrimSpace(name) == "" {
		v.Add("name", "must not be empty")
	}
	if !slices.Contains(Scopes, scope) {
		v.Add("scope", "%q is not one of %s", scope, strings.Join(Scopes, ", "))
	}
	if expires < 0 {
		v.Add("expires", "must be a positive duration")
	}
	var tl *string
	if timeline != "" {
		if _, err := s.FindTimelineByID(ctx, timeline); err == ErrNotFound {
			v.Add("timeline", "no timeline has the id %q", timeline)
		} else if err != nil {
			return APIKey{}, "", err
		}
		tl = &timeline
	}
	if err := v.Err(); err != nil {
		return APIKey{}, "", err
	}
	var idb [4]byte
	var secretb [32]byte
	_, _ = rand.Read(idb[:])
	_, _ = rand.Read(secretb[:])
	id := hex.EncodeToString(idb[:])
	secret := base64.RawURLEncoding.EncodeToString(secretb[:])
	now := time.Now().UTC()
	k := APIKey{ID: id, Name: name, Scope: scope, Timeline: timeline, CreatedAt: now}
	var exp *time.Time
	if expires > 0 {
		t := now.Add(expires)
		exp, k.ExpiresAt = &t, &t
	}
	err := s.db.WithContext(ctx).Exec(`INSERT INTO api_keys (id, name, scope, timeline_id, secret_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, name, scope, tl, hashSecret(secret), now, exp).Error
	if err != nil {
		return APIKey{}, "", translate(err)
	}
	return k, keyPrefix + id + "_" + secret, nil
}

// ListAPIKeys returns every key, revoked and expired ones included, oldest
// first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var rows []apiKeyRow
	if err := s.db.WithContext(ctx).Raw(`SELECT id, name, scope, timeline_id, secret_hash, created_at, expires_at, revoked_at
		FROM api_keys ORDER BY created_at, id`).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = r.key()
	}
	return out, nil
}

// RevokeAPIKey revokes a key for good. Errors: ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", time.Now().UTC(), id)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM api_keys WHERE id = ?", id).Scan(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			return ErrNotFound
		}
	}
	return nil
}

// Authenticate returns the key that token (the key's secret form) is.
// Unknown, malformed, revoked and expired keys are ErrUnauthorized, with a
// reason safe to show. The secret is compared in constant time.
func (s *Store) Authenticate(ctx context.Context, token string) (APIKey, error) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 8 || secret == "" {
		return APIKey{}, Errorf(ErrUnauthorized, "the API key is malformed")
	}
	var rows []apiKeyRow
	if err := s.db.WithContext(ctx).Raw(`SELECT id, name, scope, timeline_id, secret_hash, created_at, expires_at, revoked_at
		FROM api_keys WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return APIKey{}, translate(err)
	}
	want := hashSecret("")
	if len(rows) == 1 {
		want = rows[0].SecretHash
	}
	// Compare even for an unknown id, so that timing does not tell which
	// ids exist.
	match := subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(want)) == 1
	switch {
	case len(rows) != 1 || !match:
		return APIKey{}, Errorf(ErrUnauthorized, "the API key is not valid")
	case rows[0].RevokedAt != nil:
		return APIKey{}, Errorf(ErrUnauthorized, "the API key was revoked")
	case rows[0].ExpiresAt != nil && !time.Now().Before(*rows[0].ExpiresAt):
		return APIKey{}, Errorf(ErrUnauthorized, "the API key expired")
	}
	return rows[0].key(), nil
}
