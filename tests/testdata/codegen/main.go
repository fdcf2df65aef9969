// Command codegenclient drives the client that oapi-codegen generates from
// openapi.yaml (client.gen.go, written beside this file by
// tests/codegen_test.go) against the server at the URL given as its
// argument, and prints what it got as JSON for the test to check.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

type result struct {
	ListStatus     int      `json:"list_status"`
	ListIDs        []string `json:"list_ids"`
	GetStatus      int      `json:"get_status"`
	GetID          string   `json:"get_id"`
	GetQuotes      []string `json:"get_quotes"`
	MissingStatus  int      `json:"missing_status"`
	MissingProblem int      `json:"missing_problem_status"`
	BadStatus      int      `json:"bad_status"`
	BadParams      []string `json:"bad_params"`
}

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "codegenclient:", err)
		os.Exit(1)
	}
}

func run(base string) error {
	ctx := context.Background()
	c, err := NewClientWithResponses(base)
	if err != nil {
		return err
	}
	var out result
	limit := 5
	list, err := c.ListEventsWithResponse(ctx, &ListEventsParams{Year: &YearFilter{"2019"}, Limit: &limit})
	if err != nil {
		return fmt.Errorf("listEvents: %w", err)
	}
	out.ListStatus = list.StatusCode()
	if list.JSON200 == nil {
		return fmt.Errorf("listEvents: got %d %s, want a decoded 200", list.StatusCode(), list.Body)
	}
	page, err := list.JSON200.AsEventList()
	if err != nil {
		return fmt.Errorf("listEvents as EventList: %w", err)
	}
	for _, e := range page.Data {
		out.ListIDs = append(out.ListIDs, e.Id)
	}
	if len(out.ListIDs) == 0 {
		return fmt.Errorf("listEvents: no events")
	}

	one, err := c.GetEventWithResponse(ctx, out.ListIDs[0], nil)
	if err != nil {
		return fmt.Errorf("getEvent: %w", err)
	}
	out.GetStatus = one.StatusCode()
	if one.JSON200 == nil {
		return fmt.Errorf("getEvent: got %d %s, want a decoded 200", one.StatusCode(), one.Body)
	}
	out.GetID = one.JSON200.Id
	for _, s := range one.JSON200.Sources {
		out.GetQuotes = append(out.GetQuotes, s.Quote)
	}

	missing, err := c.GetEventWithResponse(ctx, "no-such-event", nil)
	if err != nil {
		return fmt.Errorf("getEvent missing: %w", err)
	}
	out.MissingStatus = missing.StatusCode()
	if missing.ApplicationproblemJSON404 != nil {
		out.MissingProblem = missing.ApplicationproblemJSON404.Status
	}

	tooMany := 100000
	bad, err := c.ListEventsWithResponse(ctx, &ListEventsParams{Limit: &tooMany})
	if err != nil {
		return fmt.Errorf("listEvents bad limit: %w", err)
	}
	out.BadStatus = bad.StatusCode()
	if p := bad.ApplicationproblemJSON400; p != nil && p.InvalidParams != nil {
		for _, ip := range *p.InvalidParams {
			out.BadParams = append(out.BadParams, ip.Name)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
