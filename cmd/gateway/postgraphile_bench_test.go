package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// The PostGraphile queries that read the same rows and fields as
// benchEventsPage and benchConversationPage: the gateway lists events by
// position, conversations by seq and a conversation's messages by
// (created_at, seq).
const (
	postgraphileEventsPage       = `{ allEvents(first: 10, orderBy: POSITION_ASC) { edges { cursor node { id type providerEventType occurredAt } } } }`
	postgraphileConversationPage = `{ allConversations(first: 20, orderBy: SEQ_ASC) { edges { node { id subject status
		personByRequesterId { name email }
		messagesByConversationId(last: 3, orderBy: [CREATED_AT_ASC, SEQ_ASC]) { edges { node { content createdAt } } } } } } }`
)

// postgraphileDir is the folder, relative to this package, that holds the
// pinned PostGraphile install and its smart tags (postgraphile.tags.json5).
const postgraphileDir = "../../bench/postgraphile"

// postgraphilePoolSize is the gateway's PostgreSQL pool size (db.Open), given
// to PostGraphile so both read through as many connections.
const postgraphilePoolSize = 16

// startPostGraphile serves the schema of the database URL dbURL (its
// search_path) with PostGraphile as a subprocess on a free port, waits until
// it answers and returns its /graphql URL. The process is killed when the
// benchmark ends.
func startPostGraphile(b *testing.B, dbURL string) string {
	bin, err := filepath.Abs(filepath.Join(postgraphileDir, "node_modules", ".bin", "postgraphile"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		b.Fatalf("PostGraphile is not installed (%v): run  npm ci --prefix bench/postgraphile", err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	if schema == "" {
		b.Fatalf("database URL names no search_path schema")
	}
	// node-postgres does not know search_path; PostGraphile qualifies every
	// table with the schema anyway.
	q.Del("search_path")
	u.RawQuery = q.Encode()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-c", u.String(), "--schema", schema, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--max-pool-size", strconv.Itoa(postgraphilePoolSize), "--disable-graphiql", "--disable-query-log",
		"--no-setof-functions-contain-nulls")
	cmd.Dir = filepath.Dir(filepath.Dir(filepath.Dir(bin))) // reads postgraphile.tags.json5 from there
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/graphql", port)
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := postGraphQL(http.DefaultClient, endpoint, "", `{ __typename }`, nil); err == nil {
			return endpoint
		} else if time.Now().After(deadline) {
			b.Fatalf("PostGraphile did not answer within a minute: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// graphQLRequest is a GraphQL POST of query with vars to endpoint, with
// token as its bearer token unless empty.
func graphQLRequest(endpoint, token, query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(context.Background(), "POST", endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// postGraphQL posts query to endpoint, with a bearer token when token is
// set, and returns the answer; a non-200 status or an answer with errors is
// an error.
func postGraphQL(client *http.Client, endpoint, token, query string, vars map[string]any) ([]byte, error) {
	res, err := client.Do(graphQLRequest(endpoint, token, query, vars))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err == nil && (res.StatusCode != http.StatusOK || bytes.Contains(answer, []byte(`"errors"`))) {
		err = fmt.Errorf("status %d: %.300s", res.StatusCode, answer)
	}
	return answer, err
}

// sameRows fails the benchmark unless the gateway's answer and
// PostGraphile's name the same rows in the same order with the same
// values, so that both servers are measured on the same work. Only the
// fields both answers hold under the same shape are compared: the
// conversation's status (the gateway's enum against the stored text) and
// timestamps (formatting) are left out.
func sameRows(b *testing.B, name string, gateway, postgraphile []byte) {
	type message struct{ Content string }
	type person struct{ Name, Email string }
	type conversation struct {
		ID, Subject string
		Requester   *person
		Messages    []string
	}
	var g, p struct {
		Data struct {
			Events, AllEvents struct {
				Edges []struct {
					Node struct{ ID, ProviderEventType string }
				}
			}
			Conversations, AllConversations struct {
				Edges []struct {
					Node struct {
						ID, Subject                        string
						Requester, PersonByRequesterID     *person
						Messages, MessagesByConversationID struct {
							Edges []struct{ Node message }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(gateway, &g); err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(postgraphile, &p); err != nil {
		b.Fatal(err)
	}
	rows := func(events []struct {
		Node struct{ ID, ProviderEventType string }
	}, convs []conversation) []any {
		out := []any{}
		for _, e := range events {
			out = append(out, e.Node)
		}
		for _, c := range convs {
			out = append(out, c)
		}
		return out
	}
	var gc, pc []conversation
	for _, e := range g.Data.Conversations.Edges {
		c := conversation{ID: e.Node.ID, Subject: e.Node.Subject, Requester: e.Node.Requester, Messages: []string{}}
		for _, m := range e.Node.Messages.Edges {
			c.Messages = append(c.Messages, m.Node.Content)
		}
		gc = append(gc, c)
	}
	for _, e := range p.Data.AllConversations.Edges {
		c := conversation{ID: e.Node.ID, Subject: e.Node.Subject, Requester: e.Node.PersonByRequesterID, Messages: []string{}}
		for _, m := range e.Node.MessagesByConversationID.Edges {
			c.Messages = append(c.Messages, m.Node.Content)
		}
		pc = append(pc, c)
	}
	gr, pr := rows(g.Data.Events.Edges, gc), rows(p.Data.AllEvents.Edges, pc)
	if len(gr) == 0 || !reflect.DeepEqual(gr, pr) {
		b.Fatalf("%s: the gateway and PostGraphile answer different rows:\ngateway      %+v\npostgraphile %+v", name, gr, pr)
	}
}
