package models

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
)

// ConsistencyToken is a position in the primary's write-ahead log, handed
// to a client after its write and back by the client with a read that
// must see that write. Clients treat its text form as opaque.
type ConsistencyToken uint64

// String returns the token's text form: sixteen hex digits.
func (t ConsistencyToken) String() string { return fmt.Sprintf("%016X", uint64(t)) }

// ParseConsistencyToken reads a token's text form. It returns an error
// for anything String could not have produced.
func ParseConsistencyToken(s string) (ConsistencyToken, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("is not a consistency token (16 hex digits from a Timeline-Consistency header)")
	}
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("is not a consistency token (16 hex digits from a Timeline-Consistency header)")
	}
	return ConsistencyToken(n), nil
}

// parseLSN reads PostgreSQL's text form of a WAL position, such as
// "0/3000148".
func parseLSN(s string) (ConsistencyToken, error) {
	var hi, lo uint32
	if _, err := fmt.Sscanf(s, "%X/%X", &hi, &lo); err != nil {
		return 0, fmt.Errorf("unexpected WAL position %q", s)
	}
	return ConsistencyToken(uint64(hi)<<32 | uint64(lo)), nil
}

// ConsistencyToken returns the primary's current WAL insert position:
// called after a write commits, it is past the commit record whatever
// synchronous_commit says, so it is a token that any later read can
// present to see that write. It returns 0 and no error when the store has no
// replicas, since every read then sees every committed write.
func (s *Store) ConsistencyToken(ctx context.Context) (ConsistencyToken, error) {
	if s.replicas == nil {
		return 0, nil
	}
	return s.replicas.primaryLSN(ctx, "pg_current_wal_insert_lsn")
}

// readPolicy is how a request's reads choose their database.
type readPolicy struct {
	// primary sends every read to the primary (a write request's reads,
	// which must see the latest data and their own locks).
	primary bool
	// after is the WAL position a replica must have replayed.
	after ConsistencyToken
	// pinned is the target of the request's first read.
	pinned atomic.Pointer[target]
}

type policyKey struct{}

// WithReadPolicy returns a context whose reads go to the primary when
// primary is set, else to a replica that has replayed past after (0 for
// any replica in rotation), else to the primary. All the reads of one
// context go to the same database while it may serve them. Without
// replicas it changes nothing.
func WithReadPolicy(ctx context.Context, primary bool, after ConsistencyToken) context.Context {
	return context.WithValue(ctx, policyKey{}, &readPolicy{primary: primary, after: after})
}

func policyFrom(ctx context.Context) *readPolicy {
	p, _ := ctx.Value(policyKey{}).(*readPolicy)
	return p
}

func isPrimaryOnly(ctx context.Context) bool {
	p := policyFrom(ctx)
	return p != nil && p.primary
}

// ReplicaFailed is called when a read of ctx failed with ErrUnavailable.
// If a replica served it, ReplicaFailed takes that replica out of rotation
// (the health checker puts it back once it answers), forgets it as the
// context's target, and reports true: the read may be run again, and will
// go elsewhere. Otherwise it reports false.
func ReplicaFailed(ctx context.Context) bool {
	p := policyFrom(ctx)
	if p == nil {
		return false
	}
	t := p.pinned.Load()
	if t == nil || t.name == primaryName {
		return false
	}
	t.inRotation.Store(false)
	p.pinned.Store(nil)
	return true
}
