package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// TestKeysCommand creates, lists and revokes a key with the command, and
// checks that the key printed once authenticates until it is revoked and
// that only its id, never its secret, is listed.
func TestKeysCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	e := env(map[string]string{"SQLITE_PATH": path})
	var out bytes.Buffer
	if err := run(ctx, []string{"timeline", "keys", "create", "--name", "desk", "--scope", "events:write", "--expires", "1h"}, e, &out); err != nil {
		t.Fatalf("keys create: %v", err)
	}
	key, _, _ := strings.Cut(out.String(), "\n")
	id := strings.Split(key, "_")[1]
	store, err := models.Open(ctx, models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	k, err := store.Authenticate(ctx, key)
	if err != nil || k.ID != id || k.Scope != models.ScopeEventsWrite || k.ExpiresAt == nil || time.Until(*k.ExpiresAt) > time.Hour {
		t.Fatalf("Authenticate(printed key): got %+v, %v", k, err)
	}
	out.Reset()
	if err := run(ctx, []string{"timeline", "keys", "list"}, e, &out); err != nil {
		t.Fatalf("keys list: %v", err)
	}
	if !strings.Contains(out.String(), id) || strings.Contains(out.String(), strings.Split(key, "_")[2]) ||
		!strings.Contains(out.String(), "active") {
		t.Errorf("keys list: got\n%s\nwant the id, active, and no secret", out.String())
	}
	if err := run(ctx, []string{"timeline", "keys", "revoke", id}, e, &out); err != nil {
		t.Fatalf("keys revoke: %v", err)
	}
	if _, err := store.Authenticate(ctx, key); err == nil {
		t.Errorf("a revoked key still authenticates")
	}
	for _, args := range [][]string{
		{"keys", "create", "--name", "x", "--scope", "everything"},
		{"keys", "create", "--scope", "events:write"},
		{"keys", "revoke", "nope0000"},
		{"keys", "frobnicate"},
	} {
		if err := run(ctx, append([]string{"timeline"}, args...), e, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: got no error", args)
		}
	}
}
