package models

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/driver/postgres"
)

// Long-poll support: a reader of the feed waits for a signal that something
// changed, without holding a pooled connection. Writes of this process
// signal at commit; on PostgreSQL one dedicated connection per process
// LISTENs for the NOTIFY that every instance's writes send at commit.

// changeChannel is the PostgreSQL notification channel of the feed.
const changeChannel = "timeline_changes"

// broadcast hands out a channel that is closed at the next signal.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
	// waiters counts the subscribers of a PostgreSQL listener; the
	// listener stops a while after the last one leaves.
	waiters  int
	stop     context.CancelFunc
	ready    chan struct{}
	idleStop *time.Timer
}

func (b *broadcast) current() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) signal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// broadcasts holds one broadcast per connection pool, so that stores opened
// on different databases in one process do not wake each other.
var broadcasts sync.Map // *sql.DB -> *broadcast

func (s *Store) broadcast() *broadcast {
	pool, err := s.db.DB()
	if err != nil {
		pool = (*sql.DB)(nil)
	}
	b, _ := broadcasts.LoadOrStore(pool, &broadcast{})
	return b.(*broadcast)
}

// signalChanges wakes this process's waiters after a write committed.
func (s *Store) signalChanges() { s.broadcast().signal() }

// listenIdle is how long a PostgreSQL listener outlives its last waiter.
const listenIdle = 30 * time.Second

// SubscribeChanges returns a channel that is closed when a change may have
// been committed after the call, and a function to call when done waiting.
// Read the feed after subscribing, then wait on the channel: no change
// committed in between is missed. On PostgreSQL the first subscriber
// starts the process's listening connection and waits (bounded by ctx)
// until it listens.
func (s *Store) SubscribeChanges(ctx context.Context) (<-chan struct{}, func()) {
	b := s.broadcast()
	if s.dialect != DialectPostgres {
		return b.current(), func() {}
	}
	b.mu.Lock()
	b.waiters++
	if b.idleStop != nil {
		b.idleStop.Stop()
		b.idleStop = nil
	}
	if b.stop == nil {
		lctx, cancel := context.WithCancel(context.Background())
		b.stop, b.ready = cancel, make(chan struct{})
		go s.listen(lctx, b, b.ready)
	}
	ready := b.ready
	b.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	done := func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.waiters--
		if b.waiters == 0 && b.stop != nil {
			stop := b.stop
			b.idleStop = time.AfterFunc(listenIdle, func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				if b.waiters == 0 && b.stop != nil {
					stop()
					b.stop = nil
				}
			})
		}
	}
	return b.current(), done
}

// listen holds the LISTEN connection until ctx ends, reconnecting after a
// failure; every notification signals the broadcast. Losing the connection
// signals too, so that waiters read the feed again rather than miss a
// change.
func (s *Store) listen(ctx context.Context, b *broadcast, ready chan struct{}) {
	dsn := s.listenDSN
	if d, ok := s.db.Dialector.(*postgres.Dialector); ok && dsn == "" {
		dsn = d.Config.DSN
	}
	once := sync.Once{}
	markReady := func() { once.Do(func() { close(ready) }) }
	defer markReady()
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+changeChannel)
		}
		if err == nil {
			// Signal before ready: a waiter that subscribes now takes the
			// channel after this signal, so the LISTEN starting is not
			// mistaken for a change (waiters from before a reconnect are
			// still woken, to read what they may have missed).
			b.signal()
			markReady()
			for err == nil {
				_, err = conn.WaitForNotification(ctx)
				b.signal()
			}
		}
		if conn != nil {
			conn.Close(context.Background())
		}
		markReady()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
