package seed

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// loadPostgres loads the sample in a transaction on a raw pgx connection,
// which COPY needs, then vacuums the tables.
func (sd *seeder) loadPostgres(ctx context.Context) error {
	conn, err := sd.s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		ptx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer ptx.Rollback(ctx)
		if err := sd.fill(ctx, postgresTx{pgxQuerier{sd.s, ptx}}); err != nil {
			return err
		}
		return ptx.Commit(ctx)
	})
	if err != nil {
		return err
	}
	return sd.vacuum(ctx, conn)
}

// postgresTx is the seed's transaction on PostgreSQL.
type postgresTx struct{ pgxQuerier }

// dropIndexes drops every index of the four tables the seed fills but
// those of their constraints: the directory's trigram indexes, too, cost
// its inserts twice what building them afterwards does. The unique ones
// are checked again when they are made. Then the keys of login_tokens go
// (dropKeys). The indexes' definitions are schema-qualified; the keys'
// statements name login_tokens and the tables it refers to as the
// session's search_path finds them, in the same session.
func (t postgresTx) dropIndexes(ctx context.Context) (defs []string, err error) {
	rows, err := t.tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i WHERE i.indrelid IN ('login_tokens'::regclass, 'companies'::regclass, 'contacts'::regclass, 'customers'::regclass)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indrelid = 'login_tokens'::regclass DESC, i.indexrelid`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := t.tx.Exec(ctx, `DROP INDEX `+name); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", name, err)
		}
	}
	keys, foreign, err := t.dropKeys(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Concat(keys, defs, foreign), nil
}

// dropKeys drops the primary key and the foreign keys of login_tokens, as
// PostgreSQL's manual advises for a bulk load, and answers the statements
// that add them again: the key first, the foreign keys last. With them,
// each row COPY puts in is looked up in the key's index at a random place
// and checked by a trigger per foreign key; added after the load, the key
// is one sort and each foreign key one join that checks every row
// (1,000,000 tokens: COPY 21 s with them; 5.5 s without, and 1.8 s to add
// them). The primary key stays where another table's foreign key refers
// to it. Its index comes back with PostgreSQL's defaults: the
// constraint's definition holds no storage settings (fillfactor), which
// the migrations do not set.
func (t postgresTx) dropKeys(ctx context.Context) (keys, foreign []string, err error) {
	rows, err := t.tx.Query(ctx, `SELECT c.conname, c.contype = 'f', pg_get_constraintdef(c.oid)
		FROM pg_constraint c WHERE c.conrelid = 'login_tokens'::regclass
		AND (c.contype = 'f' OR c.contype IN ('p', 'u')
			AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.confrelid = 'login_tokens'::regclass))
		ORDER BY c.contype = 'f', c.conname`)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for rows.Next() {
		var name, def string
		var isForeign bool
		if err := rows.Scan(&name, &isForeign, &def); err != nil {
			return nil, nil, err
		}
		add := `ALTER TABLE login_tokens ADD CONSTRAINT ` + pgx.Identifier{name}.Sanitize() + ` ` + def
		if isForeign {
			foreign = append(foreign, add)
		} else {
			keys = append(keys, add)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		if _, err := t.tx.Exec(ctx, `ALTER TABLE login_tokens DROP CONSTRAINT `+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, nil, fmt.Errorf("seed: drop constraint %s: %w", name, err)
		}
	}
	return keys, foreign, nil
}

// insertTokens makes the tokens in a goroutine and COPYs them in as they
// come.
func (t postgresTx) insertTokens(ctx context.Context, sd *seeder) error {
	var batch *tokenBatch
	var next int
	var genErr error
	rowsIn := make(chan *tokenBatch)
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	go func() {
		genErr = sd.tokens(genCtx, func(b *tokenBatch) error {
			select {
			case rowsIn <- b:
				return nil
			case <-genCtx.Done():
				return genCtx.Err()
			}
		})
		close(rowsIn)
	}()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for batch == nil || next >= len(batch.tokens) {
			b, ok := <-rowsIn
			if !ok {
				return nil, nil
			}
			batch, next = b, 0
		}
		next++
		return batch.row(next - 1), nil
	})
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"login_tokens"}, tokenColumns, src)
	// Stop and wait for the generator whatever COPY did.
	stopGen()
	for range rowsIn {
	}
	if err != nil {
		return fmt.Errorf("copy tokens: %w", err)
	}
	return genErr
}

// makeIndexes runs defs (the keys, the indexes, the foreign keys) and sorts
// in memory up to maintenance_work_mem.
func (t postgresTx) makeIndexes(ctx context.Context, defs []string) error {
	if _, err := t.tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	for _, def := range defs {
		if _, err := t.tx.Exec(ctx, def); err != nil {
			return fmt.Errorf("seed: %s: %w", def, err)
		}
	}
	return nil
}

// vacuum sets the visibility map, without which counts cannot use
// index-only scans, and the statistics; it cannot run in a transaction.
func (sd *seeder) vacuum(ctx context.Context, conn *sql.Conn) error {
	t0 := time.Now()
	for _, table := range []string{"login_tokens", "companies", "contacts", "customers"} {
		if _, err := conn.ExecContext(ctx, `VACUUM (ANALYZE) `+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	sd.step("vacuum and analyze", &sd.res.Analyze, t0)
	return nil
}
