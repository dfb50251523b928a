package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	lt "github.com/logintokens/logintokens"
)

// Imports upsert row by row, each row through the same create and update
// as the API's POST and PATCH (so the same validation, conflict messages
// and token refresh apply) in a transaction of its own: a bad row fails
// alone with its message and the others still apply. Running an import
// twice gives the same directory, so a failed import can simply be rerun.
//
// A row matches an existing, not deleted person by externalId when it has
// one, else by email. A row with an externalId that matches nobody still
// matches the person with its email if that person has no externalId yet:
// the first import from a source system then links the people staff
// created by hand instead of failing on their email.
//
// An update changes what the row gives: an empty or missing value
// (firstName, lastName, email, externalId, disabled, the company) leaves
// the field as it is, so a file without a column, or a spreadsheet with a
// blank cell, never wipes what the directory knows. Clearing a field is
// what PATCH is for.

// ImportContacts upserts contacts by externalId, else by email. A new
// contact needs companyId or companyExternalId; an updated one keeps its
// company unless the row names one.
func (s *Store) ImportContacts(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	return contactsTable.importPeople(ctx, s, rows)
}

// ImportCustomers upserts customers by externalId, else by email.
func (s *Store) ImportCustomers(ctx context.Context, rows []lt.ContactImport) (lt.ImportResult, error) {
	return customersTable.importPeople(ctx, s, rows)
}

// importPeople applies the rows in order. Only an internal error (the
// request cancelled) or an unavailable database (gone, or not answering
// within the call bound) stops it: the rows before it stay applied.
func (p personTable[T]) importPeople(ctx context.Context, s *Store, rows []lt.ContactImport) (lt.ImportResult, error) {
	res := lt.ImportResult{Failed: []lt.ImportFailure{}}
	companies := map[string]int64{} // companyExternalId -> id, for this import
	for i, row := range rows {
		n := row.Row
		if n == 0 {
			n = i + 1
		}
		created, err := p.importPerson(ctx, s, row, companies)
		switch {
		case err == nil && created:
			res.Created++
		case err == nil:
			res.Updated++
		case lt.ErrorCode(err) == lt.EINTERNAL, lt.ErrorCode(err) == lt.EUNAVAILABLE:
			return res, fmt.Errorf("import row %d: %w", n, err)
		default:
			res.Failed = append(res.Failed, lt.ImportFailure{Row: n, Message: lt.ErrorMessage(err)})
		}
	}
	return res, nil
}

// importPerson upserts one row and reports whether it created someone.
func (p personTable[T]) importPerson(ctx context.Context, s *Store, row lt.ContactImport, companies map[string]int64) (created bool, err error) {
	// norm is the row as the store keeps it (trimmed, email lowercased).
	norm := lt.Person{FirstName: row.FirstName, LastName: row.LastName, Email: row.Email, ExternalID: row.ExternalID}
	norm.Normalize()
	var companyID *int64
	if p.kind == lt.UserContact {
		if companyID, err = s.importCompanyID(ctx, row, companies); err != nil {
			return false, err
		}
	} else if row.CompanyID != nil || row.CompanyExternalID != nil {
		return false, lt.Invalid("companyId", "customers belong to no company")
	}
	// A second pass only when someone else created or deleted the match
	// between our lookup and our write.
	for attempt := 0; ; attempt++ {
		existing, emailOwner, err := p.matchPerson(ctx, s, norm)
		if err != nil {
			return false, err
		}
		if existing == nil {
			if emailOwner != nil {
				// Said here: the database's unique violation would not tell
				// which of email and externalId is taken.
				id, _, owner := lt.PersonParts(emailOwner)
				return false, lt.Errorf(lt.ECONFLICT, "email: %s %d has this email and externalId %s", p.what, *id, lt.QuoteInput(*owner.ExternalID))
			}
			if p.kind == lt.UserContact && companyID == nil {
				return false, lt.Invalid("companyId", "a new contact needs companyId or companyExternalId")
			}
			c := new(T)
			lt.ApplyPerson(c, lt.PersonUpdate{CompanyID: companyID, FirstName: &row.FirstName, LastName: &row.LastName, Email: &row.Email,
				ExternalID: &row.ExternalID, Disabled: row.Disabled, Language: row.Language})
			err = p.create(ctx, s, c)
			if err != nil && attempt == 0 && lt.ErrorCode(err) == lt.ECONFLICT {
				continue
			}
			return err == nil, err
		}
		upd := lt.PersonUpdate{Disabled: row.Disabled, CompanyID: companyID, Language: row.Language}
		if norm.FirstName != "" {
			upd.FirstName = &norm.FirstName
		}
		if norm.LastName != "" {
			upd.LastName = &norm.LastName
		}
		if norm.Email != "" {
			upd.Email = &norm.Email
		}
		if norm.ExternalID != nil {
			upd.ExternalID = &norm.ExternalID
		}
		id, _, _ := lt.PersonParts(existing)
		_, err = p.update(ctx, s, *id, upd)
		if err != nil && attempt == 0 && lt.ErrorCode(err) == lt.ENOTFOUND {
			continue
		}
		return false, err
	}
}

// matchPerson finds the not deleted person a row upserts, or nil. When
// there is none but the row's email belongs to someone with another
// externalId, emailOwner is that person.
func (p personTable[T]) matchPerson(ctx context.Context, s *Store, norm lt.Person) (match, emailOwner *T, err error) {
	err = s.read(ctx, func(tx *tx) error {
		if norm.ExternalID != nil {
			c, err := p.findBy(ctx, tx, "external_id", *norm.ExternalID)
			if err != nil || c != nil {
				match = c
				return err
			}
		}
		if norm.Email == "" {
			return nil
		}
		c, err := p.findBy(ctx, tx, "email", norm.Email)
		if c == nil {
			return err
		}
		if _, _, found := lt.PersonParts(c); norm.ExternalID == nil || found.ExternalID == nil {
			match = c
		} else {
			emailOwner = c
		}
		return nil
	})
	return match, emailOwner, err
}

// findBy returns the not deleted person whose column (email or
// external_id, both unique among them) holds value, or nil.
func (p personTable[T]) findBy(ctx context.Context, tx *tx, column, value string) (*T, error) {
	c, err := p.scan(tx.queryRow(ctx, p.selectSQL()+` WHERE `+column+` = ? AND deleted_at IS NULL`, value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// importCompanyID resolves the company a contact row names, if any.
func (s *Store) importCompanyID(ctx context.Context, row lt.ContactImport, cache map[string]int64) (*int64, error) {
	if row.CompanyExternalID == nil || strings.TrimSpace(*row.CompanyExternalID) == "" {
		return row.CompanyID, nil
	}
	ext := strings.TrimSpace(*row.CompanyExternalID)
	id, ok := cache[ext]
	if !ok {
		err := s.read(ctx, func(tx *tx) error {
			return tx.queryRow(ctx, `SELECT id FROM companies WHERE external_id = ? AND deleted_at IS NULL`, ext).Scan(&id)
		})
		if errors.Is(err, sql.ErrNoRows) {
			return nil, lt.Invalid("companyExternalId", "no company with externalId %s", lt.QuoteInput(ext))
		} else if err != nil {
			return nil, err
		}
		cache[ext] = id
	}
	if row.CompanyID != nil && *row.CompanyID != id {
		return nil, lt.Invalid("companyId", "is %d, but companyExternalId %s is company %d", *row.CompanyID, lt.QuoteInput(ext), id)
	}
	return &id, nil
}
