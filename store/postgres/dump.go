package postgres

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
)

// Dump writes a pg_dump archive (custom format) of the imsd schema the URL
// selects to path, with the pg_dump binary bin ("pg_dump" from PATH when
// empty). A search_path in the URL — a pgx runtime parameter that libpq
// tools do not accept — selects the one schema to dump; without it the
// whole database is dumped.
func Dump(ctx context.Context, dbURL, path, bin string) error {
	if bin == "" {
		bin = "pg_dump"
	}
	conn, schema, err := libpqURL(dbURL)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--no-owner", "--no-privileges", "--file", path, "--dbname", conn}
	if schema != "" {
		args = append(args, "--schema", schema)
	}
	return run(ctx, bin, args)
}

// Restore loads a Dump archive into the database the URL names, which must
// not hold the dumped schema yet, with the pg_restore binary bin
// ("pg_restore" from PATH when empty). The archive recreates its schema
// under its own name.
func Restore(ctx context.Context, dbURL, path, bin string) error {
	if bin == "" {
		bin = "pg_restore"
	}
	conn, _, err := libpqURL(dbURL)
	if err != nil {
		return err
	}
	return run(ctx, bin, []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", conn, path})
}

func run(ctx context.Context, bin string, args []string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("postgres: %s: %w: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// libpqURL turns a URL pgx accepts into one libpq tools accept, returning
// the search_path it named (unquoted, the first entry) separately.
// Key=value DSNs are passed through.
func libpqURL(dbURL string) (conn, schema string, err error) {
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return dbURL, "", nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", "", fmt.Errorf("postgres: parse url: %w", err)
	}
	q := u.Query()
	if sp := q.Get("search_path"); sp != "" {
		schema = strings.Trim(strings.TrimSpace(strings.Split(sp, ",")[0]), `"`)
		q.Del("search_path")
	}
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}
