package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/csto-timeline/timeline/models"
)

const keysUsage = `usage:
  timeline keys create --name NAME --scope events:write|timelines:admin [--timeline ID] [--expires DURATION]
  timeline keys list
  timeline keys revoke ID`

// runKeys manages API keys: `timeline keys create|list|revoke`. The key
// itself is printed once, by create; only its hash is stored.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", keysUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	store, err := models.Open(ctx, models.Config{DatabaseURL: cfg.databaseURL, SQLitePath: cfg.sqlitePath})
	if err != nil {
		return err
	}
	defer store.Close()
	if applied, latest, err := store.SchemaStatus(ctx); err != nil {
		return err
	} else if applied < latest {
		if store.Dialect() != models.DialectSQLite {
			return fmt.Errorf("keys: database schema is at version %d, needs %d: run `timeline migrate` first", applied, latest)
		}
		if _, err := store.Migrate(ctx); err != nil {
			return err
		}
	}
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		name := fs.String("name", "", "who or what the key is for")
		scope := fs.String("scope", "", "events:write or timelines:admin")
		timeline := fs.String("timeline", "", "the only timeline the key may write to")
		expires := fs.Duration("expires", 0, "lifetime, such as 720h; 0 for none")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return fmt.Errorf("keys create: bad arguments\n%s", keysUsage)
		}
		k, secret, err := store.CreateAPIKey(ctx, *name, *scope, *timeline, *expires)
		if err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		fmt.Fprintf(stdout, "%s\n", secret)
		fmt.Fprintf(stdout, "# key %s (%s, %s) created; this is the only time the key is shown.\n", k.ID, k.Name, k.Scope)
		return nil
	case "list":
		if len(args) > 1 {
			return fmt.Errorf("%s", keysUsage)
		}
		keys, err := store.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tTIMELINE\tCREATED\tEXPIRES\tSTATE")
		for _, k := range keys {
			state, exp := "active", "never"
			if k.ExpiresAt != nil {
				exp = k.ExpiresAt.UTC().Format(time.RFC3339)
				if !time.Now().Before(*k.ExpiresAt) {
					state = "expired"
				}
			}
			if k.RevokedAt != nil {
				state = "revoked"
			}
			tl := k.Timeline
			if tl == "" {
				tl = "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, strings.ReplaceAll(k.Name, "\t", " "), k.Scope, tl,
				k.CreatedAt.UTC().Format(time.RFC3339), exp, state)
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("%s", keysUsage)
		}
		if err := store.RevokeAPIKey(ctx, args[1]); err != nil {
			return fmt.Errorf("keys revoke %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "key %s revoked\n", args[1])
		return nil
	}
	return fmt.Errorf("unknown keys command %q\n%s", args[0], keysUsage)
}
