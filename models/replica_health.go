package models

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// ReplicaState is one replica as the health checker last saw it.
type ReplicaState struct {
	// Name is the replica's host:port.
	Name string
	// InRotation says whether it takes reads.
	InRotation bool
	// Lag is how long the primary has been at a WAL position the replica
	// has not replayed (0 when it has replayed everything the checker saw
	// on the primary), to within the check interval.
	Lag time.Duration
	// Reads counts the reads sent to it.
	Reads uint64
}

// TargetCount is how many reads and writes went to one database.
type TargetCount struct {
	Name          string
	Reads, Writes uint64
}

// Replicas returns each replica's state, and nil without replicas.
func (s *Store) Replicas() []ReplicaState {
	if s.replicas == nil {
		return nil
	}
	out := make([]ReplicaState, 0, len(s.replicas.replicas))
	for _, t := range s.replicas.replicas {
		out = append(out, ReplicaState{Name: t.name, InRotation: t.inRotation.Load(),
			Lag: time.Duration(t.lagNanos.Load()), Reads: t.reads.Load()})
	}
	return out
}

// TargetCounts returns the reads and writes sent to the primary and to
// each replica, and nil without replicas.
func (s *Store) TargetCounts() []TargetCount {
	if s.replicas == nil {
		return nil
	}
	all := append([]*target{s.replicas.primary}, s.replicas.replicas...)
	out := make([]TargetCount, 0, len(all))
	for _, t := range all {
		out = append(out, TargetCount{Name: t.name, Reads: t.reads.Load(), Writes: t.writes.Load()})
	}
	return out
}

// run checks every replica each interval until ctx ends.
func (r *readRouter) run(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.checkAll(ctx)
		}
	}
}

// checkAll samples the primary's WAL position, then asks every replica,
// at once, for its replay position. A replica that does not answer within
// two intervals, is not a standby, or lags more than maxLag leaves
// rotation; one that answers within bounds returns to it.
func (r *readRouter) checkAll(ctx context.Context) {
	if lsn, err := r.primaryLSN(ctx, "pg_current_wal_lsn"); err == nil {
		r.history.record(time.Now(), lsn, 3*r.maxLag+time.Minute)
	}
	var wg sync.WaitGroup
	for _, t := range r.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.check(ctx, t)
		}()
	}
	wg.Wait()
}

func (r *readRouter) check(ctx context.Context, t *target) {
	cctx, cancel := context.WithTimeout(ctx, 2*r.interval)
	defer cancel()
	var inRecovery bool
	var replay sql.NullString
	err := t.db.QueryRowContext(cctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").
		Scan(&inRecovery, &replay)
	if err == nil && (!inRecovery || !replay.Valid) {
		err = errReplicaNotInService
	}
	var lsn ConsistencyToken
	if err == nil {
		lsn, err = parseLSN(replay.String)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if t.inRotation.Swap(false) {
			r.log.Warn("replica out of rotation", "replica", t.name, "error", err.Error())
		}
		return
	}
	t.replayLSN.Store(uint64(lsn))
	lag := r.history.lagBehind(time.Now(), lsn)
	t.lagNanos.Store(int64(lag))
	ok := lag <= r.maxLag
	if was := t.inRotation.Swap(ok); was != ok {
		if ok {
			r.log.Info("replica in rotation", "replica", t.name, "lag", lag.String())
		} else {
			r.log.Warn("replica out of rotation: lagging", "replica", t.name, "lag", lag.String(), "max", r.maxLag.String())
		}
	}
}

// primaryLSN asks the primary for a WAL position: fn is
// pg_current_wal_lsn (written out, which a replica can reach) or
// pg_current_wal_insert_lsn (past every record inserted so far, even a
// commit under synchronous_commit = off not yet written).
func (r *readRouter) primaryLSN(ctx context.Context, fn string) (ConsistencyToken, error) {
	var s string
	if err := r.primary.db.QueryRowContext(ctx, "SELECT "+fn+"()::text").Scan(&s); err != nil {
		return 0, translate(err)
	}
	return parseLSN(s)
}

// lsnHistory remembers when the primary was first seen at each WAL
// position, so that a replica's lag is measured by the primary's clock
// alone: it is how long ago the primary first stood past the position
// the replica has replayed. pg_last_xact_replay_timestamp() would need the
// two servers' clocks to agree and reads as growing lag while the primary
// is idle.
type lsnHistory struct {
	mu      sync.Mutex
	samples []lsnSample
}

type lsnSample struct {
	at  time.Time
	lsn ConsistencyToken
}

// record notes the primary's position, forgetting samples older than keep
// (but always the latest one).
func (h *lsnHistory) record(now time.Time, lsn ConsistencyToken, keep time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.samples); n == 0 || h.samples[n-1].lsn < lsn {
		h.samples = append(h.samples, lsnSample{at: now, lsn: lsn})
	}
	i := 0
	for i < len(h.samples)-1 && now.Sub(h.samples[i].at) > keep {
		i++
	}
	h.samples = h.samples[i:]
}

// lagBehind returns how long the primary has been past replayed: the age
// of the oldest sample beyond it, or 0.
func (h *lsnHistory) lagBehind(now time.Time, replayed ConsistencyToken) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.samples {
		if s.lsn > replayed {
			return now.Sub(s.at)
		}
	}
	return 0
}
