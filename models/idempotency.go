package models

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"
)

// IdempotencyTTL is how long a response is kept for the retries of its
// request: at least the 24 hours the Idempotency-Key draft suggests.
const IdempotencyTTL = 24 * time.Hour

// idempotencyLease is how long a claimed key may stay unanswered before a
// retry may run the request again: the first process died after claiming
// it (see BeginIdempotent).
const idempotencyLease = time.Minute

// IdempotentResponse is a stored response, replayed to retries.
type IdempotentResponse struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// BeginIdempotent claims idempotency key idemKey of API key keyID for a
// request with fingerprint. It returns nil when the caller is to run the
// request (and then call FinishIdempotent or AbandonIdempotent), or the
// response stored for an earlier run of the same request. Errors:
// ErrIdempotencyMismatch when the key was used with another request;
// ErrIdempotencyInFlight while an earlier run has not answered.
//
// A run whose process died after claiming the key holds it for the lease
// (a minute); after that a retry runs the request again. Writes make that
// safe: an event posted without an id gets one derived from the
// idempotency key, so running it twice cannot create two events.
func (s *Store) BeginIdempotent(ctx context.Context, keyID, idemKey, fingerprint string) (*IdempotentResponse, error) {
	release, err := s.writeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	now := time.Now().UTC()
	db := s.db.WithContext(ctx)
	for range 3 {
		res := db.Exec(`INSERT INTO idempotency_keys (key_id, idem_key, fingerprint, status, created_at, expires_at)
			VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (key_id, idem_key) DO NOTHING`,
			keyID, idemKey, fingerprint, now, now.Add(IdempotencyTTL))
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		if res.RowsAffected == 1 {
			return nil, nil
		}
		var rows []struct {
			Fingerprint string
			Status      int
			Header      string
			Body        []byte
			CreatedAt   time.Time
			ExpiresAt   time.Time
		}
		if err := db.Raw(`SELECT fingerprint, status, header, body, created_at, expires_at FROM idempotency_keys
			WHERE key_id = ? AND idem_key = ?`, keyID, idemKey).Scan(&rows).Error; err != nil {
			return nil, translate(err)
		}
		if len(rows) == 0 {
			continue // swept meanwhile: claim again
		}
		r := rows[0]
		switch {
		case !now.Before(r.ExpiresAt):
			// Expired but not swept yet: the key is free again.
			if err := db.Exec("DELETE FROM idempotency_keys WHERE key_id = ? AND idem_key = ? AND expires_at <= ?",
				keyID, idemKey, now).Error; err != nil {
				return nil, translate(err)
			}
			continue
		case r.Fingerprint != fingerprint:
			return nil, Errorf(ErrIdempotencyMismatch, "this Idempotency-Key was first used with a different request; use a new key for a new request")
		case r.Status == 0 && now.Sub(r.CreatedAt.UTC()) < idempotencyLease:
			return nil, Errorf(ErrIdempotencyInFlight, "the first request with this Idempotency-Key is still being processed; retry in a moment")
		case r.Status == 0:
			// Abandoned by a process that died: take it over.
			res := db.Exec(`UPDATE idempotency_keys SET created_at = ? WHERE key_id = ? AND idem_key = ? AND status = 0 AND created_at = ?`,
				now, keyID, idemKey, r.CreatedAt)
			if res.Error != nil {
				return nil, translate(res.Error)
			}
			if res.RowsAffected == 1 {
				return nil, nil
			}
			continue
		}
		out := &IdempotentResponse{Status: r.Status, Body: r.Body}
		if err := json.Unmarshal([]byte(r.Header), &out.Header); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, Errorf(ErrIdempotencyInFlight, "the Idempotency-Key is contended; retry in a moment")
}

// FinishIdempotent stores the response to a claimed key.
func (s *Store) FinishIdempotent(ctx context.Context, keyID, idemKey string, r IdempotentResponse) error {
	h, err := json.Marshal(r.Header)
	if err != nil {
		return err
	}
	return translate(s.autocommit(ctx, func(db *gorm.DB) error {
		return db.Exec(`UPDATE idempotency_keys SET status = ?, header = ?, body = ?
		WHERE key_id = ? AND idem_key = ?`, r.Status, string(h), r.Body, keyID, idemKey).Error
	}))
}

// AbandonIdempotent releases a claimed key whose request failed in a way a
// retry may not (a 5xx): the retry runs it again.
func (s *Store) AbandonIdempotent(ctx context.Context, keyID, idemKey string) error {
	return translate(s.autocommit(ctx, func(db *gorm.DB) error {
		return db.Exec("DELETE FROM idempotency_keys WHERE key_id = ? AND idem_key = ? AND status = 0", keyID, idemKey).Error
	}))
}

// SweepIdempotency deletes the records that expired before now and returns
// how many.
func (s *Store) SweepIdempotency(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.autocommit(ctx, func(db *gorm.DB) error {
		res := db.Exec("DELETE FROM idempotency_keys WHERE expires_at <= ?", now.UTC())
		n = res.RowsAffected
		return res.Error
	})
	return n, translate(err)
}

// IdempotentWrite is the claimed Idempotency-Key of the request a write
// serves. A write transaction that finds one in its context (see
// WithIdempotentWrite) records, before it commits, the response Respond
// renders from the write's result, so that an acknowledged, committed
// write always has its record: a retry after a crash between the commit
// and the answer replays the response instead of writing again.
type IdempotentWrite struct {
	KeyID, Key string
	// Respond renders the response the request answers with from the
	// result of the write: an EventWrite, a RecordWrite or an
	// ImportReport. It runs inside the write's transaction; tx reads what
	// the write wrote. Nil records nothing in the transaction (the caller
	// stores the response after, with FinishIdempotent).
	Respond func(ctx context.Context, tx *Store, result any) (IdempotentResponse, error)
	// pending is set when the response was recorded in a transaction that
	// has not committed yet; recorded once it has.
	pending, recorded bool
}

// Recorded reports whether a committed write recorded the response: the
// caller must not store it again.
func (w *IdempotentWrite) Recorded() bool { return w != nil && w.recorded }

// EventWrite is the result of a write of an event, for
// IdempotentWrite.Respond.
type EventWrite struct {
	Event   Event
	Version int64
}

// RecordWrite is the result of a write of a timeline, actor, place or
// source, for IdempotentWrite.Respond.
type RecordWrite struct {
	Table, ID string
	Version   int64
}

type idempotentWriteKey struct{}

// WithIdempotentWrite returns ctx carrying w: the writes made with it
// record their response in their own transaction.
func WithIdempotentWrite(ctx context.Context, w *IdempotentWrite) context.Context {
	return context.WithValue(ctx, idempotentWriteKey{}, w)
}

func idempotentWriteFrom(ctx context.Context) *IdempotentWrite {
	w, _ := ctx.Value(idempotentWriteKey{}).(*IdempotentWrite)
	return w
}

// recordIdempotent records, in the caller's write transaction, the
// response to the Idempotency-Key that ctx carries, if any, rendered from
// result.
func (s *Store) recordIdempotent(ctx context.Context, result any) error {
	w := idempotentWriteFrom(ctx)
	if w == nil || w.Respond == nil {
		return nil
	}
	r, err := w.Respond(ctx, s, result)
	if err != nil {
		return err
	}
	if err := s.FinishIdempotent(ctx, w.KeyID, w.Key, r); err != nil {
		return err
	}
	w.pending = true
	return nil
}

// committed marks the response recorded by the transaction that just
// committed.
func (w *IdempotentWrite) committed() {
	if w != nil && w.pending {
		w.recorded = true
	}
}
